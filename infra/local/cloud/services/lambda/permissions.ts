import type { Statement } from '../../auth/policy-document.ts';

/**
 * Lambda resource-based policies: the statements AddPermission writes, in the layout Lambda
 * renders them, and the same statements as IAM evaluates them.
 */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: { Service: string } | { AWS: string } | '*';
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface PermissionRequest {
  StatementId: string;
  Action: string;
  Principal: string;
  SourceArn?: string;
  SourceAccount?: string;
  PrincipalOrgID?: string;
  EventSourceToken?: string;
}

/** Builds the statement as Lambda renders it: account principals become root ARNs, conditions grouped by operator. */
export function statementFor(request: PermissionRequest, functionArn: string): PolicyStatement {
  const principal: PolicyStatement['Principal'] =
    request.Principal === '*'
      ? '*'
      : /^\d{12}$/.test(request.Principal)
        ? { AWS: `arn:aws:iam::${request.Principal}:root` }
        : request.Principal.startsWith('arn:')
          ? { AWS: request.Principal }
          : { Service: request.Principal };
  const condition: Record<string, Record<string, string>> = {};
  if (request.SourceAccount) (condition.StringEquals ??= {})['AWS:SourceAccount'] = request.SourceAccount;
  if (request.PrincipalOrgID) (condition.StringEquals ??= {})['aws:PrincipalOrgID'] = request.PrincipalOrgID;
  if (request.EventSourceToken) (condition.StringEquals ??= {})['lambda:EventSourceToken'] = request.EventSourceToken;
  if (request.SourceArn) (condition.ArnLike ??= {})['AWS:SourceArn'] = request.SourceArn;
  return {
    Sid: request.StatementId,
    Effect: 'Allow',
    Principal: principal,
    Action: request.Action,
    Resource: functionArn,
    ...(Object.keys(condition).length ? { Condition: condition } : {}),
  };
}

/** The statements in the form the policy evaluator reads. */
export function evaluable(statements: readonly PolicyStatement[]): Statement[] {
  return statements.map((s) => ({
    sid: s.Sid,
    effect: s.Effect,
    principal: s.Principal === '*' ? '*' : Object.fromEntries(Object.entries(s.Principal).map(([k, v]) => [k, [v]])),
    action: [s.Action],
    resource: [s.Resource, `${s.Resource}:*`],
    condition: Object.fromEntries(Object.entries(s.Condition ?? {}).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, [v]]))])),
  }));
}
