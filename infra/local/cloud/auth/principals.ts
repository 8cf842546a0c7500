/**
 * Who is calling: the identity a request's credentials stand for. The local cloud knows account
 * roots (any access key; a 12-digit key id names the account), role sessions minted by
 * sts:AssumeRole, and AWS services acting for an account (Secrets Manager invoking a rotation
 * function).
 */
export interface RootCaller {
  kind: 'root';
  account: string;
  arn: string;
  userId: string;
}

export interface RoleSessionCaller {
  kind: 'assumed-role';
  account: string;
  /** arn:aws:sts::<account>:assumed-role/<role>/<session> */
  arn: string;
  /** <role id>:<session>, as GetCallerIdentity reports it */
  userId: string;
  roleArn: string;
  roleName: string;
  sessionName: string;
  /** The account of the principal that assumed the role: another one means cross-account access. */
  assumedByAccount: string;
  assumedByArn: string;
  /** A session policy given to AssumeRole: the session may do only what it also allows. */
  sessionPolicy?: string;
}

export interface ServiceCaller {
  kind: 'service';
  service: string;
  /** The account the service acts for, and the resource it acts on (aws:SourceAccount, aws:SourceArn). */
  account: string;
  arn: string;
  sourceArn: string;
}

export type Caller = RootCaller | RoleSessionCaller | ServiceCaller;

export function rootCaller(account: string): RootCaller {
  return { kind: 'root', account, arn: `arn:aws:iam::${account}:root`, userId: account };
}

export function serviceCaller(service: string, account: string, sourceArn: string): ServiceCaller {
  return { kind: 'service', service, account, arn: service, sourceArn };
}

/** The ARN conditions see as aws:PrincipalArn: a session is seen as its role. */
export function principalArn(caller: Caller): string {
  return caller.kind === 'assumed-role' ? caller.roleArn : caller.arn;
}

export function roleArn(account: string, name: string, path = '/'): string {
  return `arn:aws:iam::${account}:role${path}${name}`;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/(?:[\x21-\x7e]*\/)?)?([\w+=,.@-]{1,64})$/;

export function parseRoleArn(arn: string): { account: string; path: string; name: string } | undefined {
  const match = ROLE_ARN.exec(arn);
  return match ? { account: match[1]!, path: match[2] ?? '/', name: match[3]! } : undefined;
}
