/**
 * Lambda resource-based policies: the statements AddPermission writes, and the check Lambda makes
 * before another service (Secrets Manager) may invoke a function.
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

export interface InvokingService {
  principal: string;
  sourceAccount: string;
  sourceArn: string;
}

const globToRegExp = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

function conditionValue(block: Record<string, string> | undefined, key: string): string | undefined {
  if (!block) return undefined;
  const found = Object.keys(block).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : block[found];
}

/** True when some statement lets `caller` invoke the function, honouring its source conditions. */
export function allowsServiceInvoke(statements: readonly PolicyStatement[], caller: InvokingService): boolean {
  return statements.some((statement) => {
    const principalOk =
      statement.Principal === '*' ||
      ('Service' in statement.Principal && statement.Principal.Service === caller.principal);
    const actionOk = ['lambda:InvokeFunction', 'lambda:*', '*'].includes(statement.Action);
    if (!principalOk || !actionOk) return false;
    const account = conditionValue(statement.Condition?.StringEquals, 'aws:SourceAccount');
    if (account !== undefined && account !== caller.sourceAccount) return false;
    const arn =
      conditionValue(statement.Condition?.ArnLike, 'aws:SourceArn') ??
      conditionValue(statement.Condition?.ArnEquals, 'aws:SourceArn');
    if (arn !== undefined && !globToRegExp(arn).test(caller.sourceArn)) return false;
    return true;
  });
}
