import type { Caller } from './principals.ts';
import type { ConditionBlock, PrincipalSpec, Statement } from './policy-document.ts';

/**
 * IAM's evaluation of one policy's statements against one request: does a statement allow it,
 * deny it explicitly, or say nothing? (Combining identity and resource policies is the
 * authorizer's job.)
 */
export type Decision = 'Allow' | 'Deny' | 'NoMatch';

/** Condition keys this emulation can supply; a key outside these (and their prefixes) is unknown. */
const KNOWN_KEYS = new Set([
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principalorgid',
  'aws:principaltype',
  'aws:userid',
  'aws:requestedregion',
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:resourceaccount',
  'aws:securetransport',
  'aws:tagkeys',
  'sts:externalid',
  'sts:rolesessionname',
]);
const KNOWN_PREFIXES = ['aws:resourcetag/', 'secretsmanager:resourcetag/', 'aws:requesttag/'];

const UNKNOWN = Symbol('unknown condition key');

/** The values of the condition keys for one request (names are case-insensitive, as in IAM). */
export class ConditionContext {
  private readonly values = new Map<string, string[]>();

  constructor(values: Record<string, string | string[] | undefined> = {}) {
    for (const [key, value] of Object.entries(values)) this.set(key, value);
  }

  set(key: string, value: string | string[] | undefined): this {
    if (value !== undefined) this.values.set(key.toLowerCase(), Array.isArray(value) ? value : [value]);
    return this;
  }

  /** Resource tags as both aws:ResourceTag/<k> and <service>:ResourceTag/<k>. */
  tags(service: string, tags: Record<string, string> | undefined): this {
    for (const [key, value] of Object.entries(tags ?? {})) {
      this.set(`aws:ResourceTag/${key}`, value);
      this.set(`${service}:ResourceTag/${key}`, value);
    }
    return this;
  }

  lookup(key: string): string[] | undefined | typeof UNKNOWN {
    const name = key.toLowerCase();
    const value = this.values.get(name);
    if (value) return value;
    if (KNOWN_KEYS.has(name) || KNOWN_PREFIXES.some((p) => name.startsWith(p))) return undefined;
    return UNKNOWN;
  }
}

const patterns = new Map<string, RegExp>();
/** IAM wildcards: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = patterns.get(cacheKey);
  if (!regex) {
    regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'is' : 's');
    if (patterns.size > 5000) patterns.clear();
    patterns.set(cacheKey, regex);
  }
  return regex.test(value);
}

type Matcher = (policyValue: string, requestValue: string) => boolean;
const MATCHERS: Record<string, { match: Matcher; negated: boolean }> = {
  stringequals: { match: (p, v) => p === v, negated: false },
  stringnotequals: { match: (p, v) => p === v, negated: true },
  stringequalsignorecase: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  stringnotequalsignorecase: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: true },
  stringlike: { match: (p, v) => wildcardMatch(p, v), negated: false },
  stringnotlike: { match: (p, v) => wildcardMatch(p, v), negated: true },
  arnequals: { match: (p, v) => wildcardMatch(p, v), negated: false },
  arnlike: { match: (p, v) => wildcardMatch(p, v), negated: false },
  arnnotequals: { match: (p, v) => wildcardMatch(p, v), negated: true },
  arnnotlike: { match: (p, v) => wildcardMatch(p, v), negated: true },
  bool: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
};

function conditionHolds(operatorName: string, key: string, policyValues: string[], context: ConditionContext): boolean {
  const requestValues = context.lookup(key);
  // An unknown key cannot be evaluated here: the condition is not satisfied (never a silent allow).
  if (requestValues === UNKNOWN) return false;
  let operator = operatorName.toLowerCase();
  const setPrefix = /^(forallvalues|foranyvalue):/.exec(operator)?.[1];
  if (setPrefix) operator = operator.slice(setPrefix.length + 1);
  if (operator === 'null') {
    const wantsAbsent = policyValues.some((v) => v.toLowerCase() === 'true');
    return wantsAbsent === (requestValues === undefined);
  }
  const ifExists = operator.endsWith('ifexists');
  if (ifExists) operator = operator.slice(0, -'ifexists'.length);
  const matcher = MATCHERS[operator];
  if (!matcher) return false;
  if (requestValues === undefined) {
    if (ifExists || setPrefix === 'forallvalues') return true;
    // Absent keys match nothing: the negated operators are then satisfied, as in IAM.
    return matcher.negated;
  }
  const anyMatch = (value: string) => policyValues.some((p) => matcher.match(p, value));
  if (setPrefix === 'forallvalues') return requestValues.every((v) => (matcher.negated ? !anyMatch(v) : anyMatch(v)));
  const matched = requestValues.some(anyMatch);
  return matcher.negated ? !matched : matched;
}

export function conditionsHold(block: ConditionBlock, context: ConditionContext): boolean {
  return Object.entries(block).every(([operator, keys]) => Object.entries(keys).every(([key, values]) => conditionHolds(operator, key, values, context)));
}

/** Whether a Principal element names the caller. */
export function principalMatches(spec: PrincipalSpec, caller: Caller): boolean {
  if (spec === '*') return true;
  for (const [type, values] of Object.entries(spec)) {
    for (const value of values) {
      if (type === 'AWS') {
        if (value === '*') return caller.kind !== 'service';
        if (caller.kind === 'service') continue;
        const account = /^\d{12}$/.test(value) ? value : /^arn:aws:iam::(\d{12}):root$/.exec(value)?.[1];
        if (account !== undefined && caller.account === account) return true;
        if (caller.kind === 'assumed-role' && (value === caller.roleArn || value === caller.arn)) return true;
      } else if (type === 'Service') {
        if (caller.kind === 'service' && caller.service === value) return true;
      }
    }
  }
  return false;
}

export interface EvaluationRequest {
  action: string;
  resource: string;
  caller: Caller;
  context: ConditionContext;
}

function statementApplies(statement: Statement, request: EvaluationRequest, checkPrincipal: boolean): boolean {
  if (checkPrincipal) {
    if (statement.principal && !principalMatches(statement.principal, request.caller)) return false;
    if (statement.notPrincipal && principalMatches(statement.notPrincipal, request.caller)) return false;
    if (!statement.principal && !statement.notPrincipal) return false;
  }
  if (statement.action && !statement.action.some((a) => wildcardMatch(a, request.action, true))) return false;
  if (statement.notAction && statement.notAction.some((a) => wildcardMatch(a, request.action, true))) return false;
  // Trust policies have no Resource: the role is the resource.
  if (statement.resource && !statement.resource.some((r) => wildcardMatch(r, request.resource))) return false;
  if (statement.notResource && statement.notResource.some((r) => wildcardMatch(r, request.resource))) return false;
  return conditionsHold(statement.condition, request.context);
}

/**
 * Evaluates statements: an explicit deny wins, then any allow. `checkPrincipal` for resource and
 * trust policies, whose statements apply only to the principals they name.
 */
export function evaluate(statements: readonly Statement[], request: EvaluationRequest, checkPrincipal: boolean): Decision {
  let decision: Decision = 'NoMatch';
  for (const statement of statements) {
    if (!statementApplies(statement, request, checkPrincipal)) continue;
    if (statement.effect === 'Deny') return 'Deny';
    decision = 'Allow';
  }
  return decision;
}
