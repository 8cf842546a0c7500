import type { Statement } from './template-helpers.ts';

/**
 * The part of IAM's policy evaluation the product's policies use, to ask a deployed policy what
 * it allows instead of reading its JSON: an explicit Deny wins, else any matching Allow, else
 * denied. Condition operators it does not know throw, so it never allows by ignorance.
 */
export interface Request {
  action: string;
  resource: string;
  /** Condition keys of the request: `aws:TagKeys` is a list, the others single values; absent when not given. */
  context?: Record<string, string | string[]>;
}

const glob = (pattern: string, value: string, ignoreCase = false) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '').test(value);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function conditionHolds(operator: string, key: string, expected: string[], context: Record<string, string | string[]>): boolean {
  const actual = context[key];
  const values = list(actual);
  switch (operator) {
    case 'StringEquals':
      return actual !== undefined && values.some((v) => expected.includes(v));
    case 'StringLike':
    case 'ArnLike':
      return actual !== undefined && values.some((v) => expected.some((e) => glob(e, v)));
    case 'Null':
      return expected.includes('true') ? actual === undefined : actual !== undefined;
    // True when the key is absent: IAM's own rule, which is why the policies pair it with Null.
    case 'ForAllValues:StringEquals':
      return values.every((v) => expected.includes(v));
    default:
      throw new Error(`the test evaluator does not know the condition operator ${operator}`);
  }
}

function matches(statement: Statement, request: Request): boolean {
  if (!list(statement.Action).some((a) => glob(a, request.action, true))) return false;
  // A trust policy's statements name no resource: the role itself is the resource.
  if (statement.Resource !== undefined && !list(statement.Resource as string | string[]).some((r) => glob(r, request.resource))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, list(expected as string | string[]).map(String), request.context ?? {})),
  );
}

export function isAllowed(statements: Statement[], request: Request): boolean {
  if (statements.some((s) => s.Effect === 'Deny' && matches(s, request))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s, request));
}
