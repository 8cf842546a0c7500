import { z } from 'zod';
import { AwsError } from '../../errors.ts';

/**
 * An event bus's resource policy (PutPermission, RemovePermission): who of another account may put
 * events on it. EventBridge bus policies use a small part of IAM: principals that are accounts (or
 * `*`), `events:PutEvents`, the bus's ARN, and `StringEquals` on `aws:PrincipalOrgID` or
 * `aws:PrincipalAccount`.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { AWS: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

const MAX_POLICY_LENGTH = 10_240;

export const permissionShapes = {
  PutPermission: z.object({
    EventBusName: z.string().min(1).max(256).optional(),
    Action: z.string().regex(/^events:[a-zA-Z]+$/).optional(),
    Principal: z.string().regex(/^(\d{12}|\*)$/, 'Member must satisfy regular expression pattern: (\\d{12}|\\*)').optional(),
    StatementId: z.string().min(1).max(64).regex(/^[a-zA-Z0-9-_]+$/).optional(),
    Condition: z.object({ Type: z.string(), Key: z.string(), Value: z.string() }).optional(),
    Policy: z.string().optional(),
  }),
  RemovePermission: z.object({ StatementId: z.string().min(1).max(64).optional(), RemoveAllPermissions: z.boolean().optional(), EventBusName: z.string().min(1).max(256).optional() }),
};

const rootOf = (account: string) => `arn:aws:iam::${account}:root`;
const asList = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function principalMatches(principal: PolicyStatement['Principal'], account: string): boolean {
  if (principal === '*') return true;
  return asList(principal.AWS).some((p) => p === '*' || p === account || p === rootOf(account));
}

/** Only the conditions EventBridge bus policies use; any other condition is not satisfied. */
function conditionsHold(condition: PolicyStatement['Condition'], caller: { account: string; orgId?: string }): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    if (operator !== 'StringEquals') return false;
    for (const [key, expected] of Object.entries(keys)) {
      const actual = key === 'aws:PrincipalOrgID' ? caller.orgId : key === 'aws:PrincipalAccount' ? caller.account : undefined;
      if (actual === undefined || !asList(expected).includes(actual)) return false;
    }
  }
  return true;
}

/**
 * Whether `caller` (an account, with its organisation) may put events on the bus `busArn` owned by
 * `owner`: its own account always may; another only if the policy allows it and nothing denies it.
 */
export function allowsPutEvents(policy: PolicyDocument | undefined, busArn: string, owner: string, caller: { account: string; orgId?: string }): boolean {
  if (caller.account === owner) return true;
  const statements = (policy?.Statement ?? []).filter((s) => {
    const action = asList(s.Action).some((a) => a === 'events:PutEvents' || a === 'events:*' || a === '*');
    const resource = asList(s.Resource).some((r) => r === '*' || r === busArn);
    return action && resource && principalMatches(s.Principal, caller.account) && conditionsHold(s.Condition, caller);
  });
  return statements.some((s) => s.Effect === 'Allow') && !statements.some((s) => s.Effect === 'Deny');
}

/** The policy PutPermission leaves: the one given whole (`Policy`), or the current one with the statement added or replaced. */
export function policyAfterPut(input: z.infer<typeof permissionShapes.PutPermission>, current: PolicyDocument | undefined, busArn: string): PolicyDocument {
  let policy: PolicyDocument;
  if (input.Policy !== undefined) {
    if (input.Policy.length > MAX_POLICY_LENGTH) throw new AwsError('PolicyLengthExceededException', 'The event bus policy is too long.');
    try {
      policy = JSON.parse(input.Policy) as PolicyDocument;
    } catch {
      throw new AwsError('ValidationException', 'Policy is not valid JSON.');
    }
    if (!Array.isArray(policy?.Statement)) throw new AwsError('ValidationException', 'Policy must have a Statement list.');
  } else {
    if (!input.StatementId || !input.Principal || !input.Action) {
      throw new AwsError('ValidationException', 'Either Policy, or StatementId, Action and Principal must be specified.');
    }
    if (input.Condition && (input.Condition.Type !== 'StringEquals' || input.Condition.Key !== 'aws:PrincipalOrgID')) {
      throw new AwsError('ValidationException', 'The only supported condition is StringEquals on aws:PrincipalOrgID.');
    }
    const statement: PolicyStatement = {
      Sid: input.StatementId,
      Effect: 'Allow',
      Principal: input.Principal === '*' ? '*' : { AWS: rootOf(input.Principal) },
      Action: input.Action,
      Resource: busArn,
      ...(input.Condition ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': input.Condition.Value } } } : {}),
    };
    policy = { Version: '2012-10-17', Statement: [...(current?.Statement ?? []).filter((s) => s.Sid !== input.StatementId), statement] };
  }
  if (JSON.stringify(policy).length > MAX_POLICY_LENGTH) throw new AwsError('PolicyLengthExceededException', 'The event bus policy is too long.');
  return policy;
}

/** The policy RemovePermission leaves (null: none), or undefined when it changes nothing. */
export function policyAfterRemove(input: z.infer<typeof permissionShapes.RemovePermission>, current: PolicyDocument | undefined): PolicyDocument | null | undefined {
  if (input.RemoveAllPermissions) return current ? null : undefined;
  if (!input.StatementId) throw new AwsError('ValidationException', 'Either StatementId or RemoveAllPermissions must be specified.');
  if (!current?.Statement.some((s) => s.Sid === input.StatementId)) throw new AwsError('ResourceNotFoundException', 'Statement with the provided id does not exist.');
  const remaining = current.Statement.filter((s) => s.Sid !== input.StatementId);
  return remaining.length ? { ...current, Statement: remaining } : null;
}
