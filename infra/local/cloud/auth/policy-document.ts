/**
 * IAM policy documents (identity policies, trust policies, resource policies): parsed once into
 * statements with every list normalised to an array.
 */
export type ConditionBlock = Record<string, Record<string, string[]>>;

export interface Statement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** Undefined in identity policies, which have no principal. */
  principal?: PrincipalSpec;
  notPrincipal?: PrincipalSpec;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  condition: ConditionBlock;
}

/** `"*"` or a map of principal type (AWS, Service, Federated) to values. */
export type PrincipalSpec = '*' | Record<string, string[]>;

export class PolicySyntaxError extends Error {}

const list = (value: unknown, what: string): string[] | undefined => {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || values.some((v) => typeof v !== 'string')) throw new PolicySyntaxError(`${what} must be a string or a list of strings`);
  return values as string[];
};

function principalSpec(value: unknown, what: string): PrincipalSpec | undefined {
  if (value === undefined) return undefined;
  if (value === '*') return '*';
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PolicySyntaxError(`${what} must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}`);
  const spec: Record<string, string[]> = {};
  for (const [type, values] of Object.entries(value)) spec[type] = list(values, `${what}.${type}`)!;
  return spec;
}

function conditionBlock(value: unknown): ConditionBlock {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PolicySyntaxError('Condition must be an object of operators');
  const block: ConditionBlock = {};
  for (const [operator, keys] of Object.entries(value as Record<string, unknown>)) {
    if (!keys || typeof keys !== 'object' || Array.isArray(keys)) throw new PolicySyntaxError(`Condition ${operator} must be an object of keys`);
    block[operator] = {};
    for (const [key, raw] of Object.entries(keys as Record<string, unknown>)) {
      const values = Array.isArray(raw) ? raw : [raw];
      if (values.some((v) => !['string', 'boolean', 'number'].includes(typeof v))) throw new PolicySyntaxError(`Condition ${operator} ${key} must hold strings`);
      block[operator][key] = values.map(String);
    }
  }
  return block;
}

/** Parses a policy document; `requirePrincipal` for resource and trust policies. */
export function parsePolicy(text: string, options: { requirePrincipal?: boolean; forbidPrincipal?: boolean } = {}): Statement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PolicySyntaxError('the document is not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new PolicySyntaxError('the document must be a JSON object');
  const raw = (doc as { Statement?: unknown }).Statement;
  const statements = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? [raw] : undefined;
  if (!statements || statements.length === 0) throw new PolicySyntaxError('the document needs a Statement');
  return statements.map((s: unknown, i) => {
    if (!s || typeof s !== 'object') throw new PolicySyntaxError(`Statement ${i} must be an object`);
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw new PolicySyntaxError(`Statement ${i} needs Effect "Allow" or "Deny"`);
    if (st.Action === undefined && st.NotAction === undefined) throw new PolicySyntaxError(`Statement ${i} needs Action or NotAction`);
    const principal = principalSpec(st.Principal, 'Principal');
    const notPrincipal = principalSpec(st.NotPrincipal, 'NotPrincipal');
    if (options.requirePrincipal && !principal && !notPrincipal) throw new PolicySyntaxError(`Statement ${i} needs a Principal`);
    if (options.forbidPrincipal && (principal || notPrincipal)) throw new PolicySyntaxError(`Statement ${i} must not have a Principal in an identity-based policy`);
    return {
      sid: typeof st.Sid === 'string' ? st.Sid : undefined,
      effect: st.Effect,
      principal,
      notPrincipal,
      action: list(st.Action, 'Action'),
      notAction: list(st.NotAction, 'NotAction'),
      resource: list(st.Resource, 'Resource'),
      notResource: list(st.NotResource, 'NotResource'),
      condition: conditionBlock(st.Condition),
    };
  });
}
