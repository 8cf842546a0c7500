import { describe, expect, it } from 'vitest';
import { Authorizer } from '../../infra/local/cloud/auth/authorizer.ts';
import { parsePolicy, PolicySyntaxError } from '../../infra/local/cloud/auth/policy-document.ts';
import { ConditionContext, evaluate } from '../../infra/local/cloud/auth/policy-evaluation.ts';
import { rootCaller, type RoleSessionCaller } from '../../infra/local/cloud/auth/principals.ts';

const session: RoleSessionCaller = {
  kind: 'assumed-role',
  account: '111111111111',
  arn: 'arn:aws:sts::111111111111:assumed-role/app/s',
  userId: 'AROAEXAMPLE:s',
  roleArn: 'arn:aws:iam::111111111111:role/app',
  roleName: 'app',
  sessionName: 's',
  assumedByAccount: '111111111111',
  assumedByArn: 'arn:aws:iam::111111111111:root',
};
const SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf';
const policy = (...statements: object[]) => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
const request = (action: string, context: Record<string, string> = {}) => ({ action, resource: SECRET, caller: session, context: new ConditionContext(context) });

describe('policy evaluation', () => {
  it('matches actions case-insensitively with wildcards, resources with wildcards, and NotAction', () => {
    const statements = policy({ Effect: 'Allow', Action: 'SecretsManager:Get*', Resource: 'arn:aws:secretsmanager:*:111111111111:secret:db-??????' });
    expect(evaluate(statements, request('secretsmanager:GetSecretValue'), false)).toBe('Allow');
    expect(evaluate(statements, request('secretsmanager:PutSecretValue'), false)).toBe('NoMatch');
    const notAction = policy({ Effect: 'Allow', NotAction: 'secretsmanager:GetSecretValue', Resource: '*' });
    expect(evaluate(notAction, request('secretsmanager:DescribeSecret'), false)).toBe('Allow');
    expect(evaluate(notAction, request('secretsmanager:GetSecretValue'), false)).toBe('NoMatch');
  });

  it('lets an explicit deny win over any allow', () => {
    const statements = policy({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'secretsmanager:GetSecretValue', Resource: '*' });
    expect(evaluate(statements, request('secretsmanager:GetSecretValue'), false)).toBe('Deny');
    expect(evaluate(statements, request('secretsmanager:DescribeSecret'), false)).toBe('Allow');
  });

  it('evaluates the documented condition operators, and treats absent and unknown keys as IAM does', () => {
    const allowIf = (condition: object) => policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: condition });
    const tagged = { 'secretsmanager:ResourceTag/team': 'payments', 'aws:PrincipalArn': session.roleArn };
    expect(evaluate(allowIf({ StringEquals: { 'secretsmanager:ResourceTag/team': 'payments' } }), request('x:Y', tagged), false)).toBe('Allow');
    expect(evaluate(allowIf({ StringEquals: { 'secretsmanager:ResourceTag/team': ['a', 'payments'] } }), request('x:Y', tagged), false)).toBe('Allow');
    expect(evaluate(allowIf({ StringLike: { 'secretsmanager:ResourceTag/team': 'pay*' } }), request('x:Y', tagged), false)).toBe('Allow');
    expect(evaluate(allowIf({ StringNotEquals: { 'secretsmanager:ResourceTag/team': 'payments' } }), request('x:Y', tagged), false)).toBe('NoMatch');
    expect(evaluate(allowIf({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/*' } }), request('x:Y', tagged), false)).toBe('Allow');
    expect(evaluate(allowIf({ ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::222222222222:role/app' } }), request('x:Y', tagged), false)).toBe('NoMatch');
    // an absent tag: positive operators fail, negated ones and Null=true hold
    expect(evaluate(allowIf({ StringEquals: { 'aws:ResourceTag/owner': 'x' } }), request('x:Y', tagged), false)).toBe('NoMatch');
    expect(evaluate(allowIf({ StringNotEquals: { 'aws:ResourceTag/owner': 'x' } }), request('x:Y', tagged), false)).toBe('Allow');
    expect(evaluate(allowIf({ Null: { 'aws:ResourceTag/owner': 'true' } }), request('x:Y', tagged), false)).toBe('Allow');
    expect(evaluate(allowIf({ Null: { 'secretsmanager:ResourceTag/team': 'true' } }), request('x:Y', tagged), false)).toBe('NoMatch');
    expect(evaluate(allowIf({ Bool: { 'aws:SecureTransport': 'false' } }), request('x:Y', { 'aws:SecureTransport': 'false' }), false)).toBe('Allow');
    // a key this emulation cannot evaluate: the condition is not satisfied
    expect(evaluate(allowIf({ StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } }), request('x:Y', tagged), false)).toBe('NoMatch');
  });

  it('applies resource and trust policy statements only to the principals they name', () => {
    const trust = parsePolicy(
      JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/app' }, Action: 'sts:AssumeRole' }] }),
      { requirePrincipal: true },
    );
    expect(evaluate(trust, { ...request('sts:AssumeRole'), resource: 'arn:aws:iam::2:role/x' }, true)).toBe('Allow');
    expect(evaluate(trust, { ...request('sts:AssumeRole'), caller: rootCaller('111111111111') }, true)).toBe('NoMatch');
    const account = parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: '111111111111' }, Action: '*' }] }), { requirePrincipal: true });
    expect(evaluate(account, { ...request('sts:AssumeRole'), caller: rootCaller('111111111111') }, true)).toBe('Allow');
    expect(evaluate(account, { ...request('sts:AssumeRole'), caller: rootCaller('333333333333') }, true)).toBe('NoMatch');
  });

  it('refuses documents it cannot read, saying why', () => {
    expect(() => parsePolicy('{not json')).toThrow(PolicySyntaxError);
    expect(() => parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Maybe', Action: '*' }] }))).toThrow(/Effect/);
    expect(() => parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Resource: '*' }] }))).toThrow(/Action/);
    expect(() => parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*' }] }), { requirePrincipal: true })).toThrow(/Principal/);
  });
});

describe('the authorizer', () => {
  const identities = (statements = policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' })) => ({
    rolePolicies: async (arn: string) => (arn === session.roleArn ? statements : undefined),
    organizationOf: () => undefined,
  });
  const secret = { arn: SECRET, account: '111111111111' };

  it('lets a root act in its own account, and a role session only as its policies allow', async () => {
    const authorizer = new Authorizer(identities());
    expect(await authorizer.authorize({ caller: rootCaller('111111111111'), action: 'secretsmanager:DeleteSecret', resources: [secret], region: 'us-east-1' })).toEqual({ allowed: true });
    expect(await authorizer.authorize({ caller: session, action: 'secretsmanager:GetSecretValue', resources: [secret], region: 'us-east-1' })).toEqual({ allowed: true });
    expect(await authorizer.authorize({ caller: session, action: 'secretsmanager:PutSecretValue', resources: [secret], region: 'us-east-1' })).toEqual({
      allowed: false,
      message: `User: ${session.arn} is not authorized to perform: secretsmanager:PutSecretValue on resource: ${SECRET} because no identity-based policy allows the secretsmanager:PutSecretValue action`,
    });
  });

  it('needs both sides across accounts: the identity policy and the resource policy', async () => {
    const authorizer = new Authorizer(identities());
    const foreign = { arn: SECRET.replace('111111111111', '222222222222'), account: '222222222222' };
    const refused = await authorizer.authorize({ caller: session, action: 'secretsmanager:GetSecretValue', resources: [foreign], region: 'us-east-1' });
    expect(refused).toMatchObject({ allowed: false, message: expect.stringContaining('because no resource-based policy allows') });
    const resourcePolicy = parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: session.roleArn }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }] }), {
      requirePrincipal: true,
    });
    expect(await authorizer.authorize({ caller: session, action: 'secretsmanager:GetSecretValue', resources: [{ ...foreign, policy: resourcePolicy }], region: 'us-east-1' })).toEqual({ allowed: true });
    const noIdentity = new Authorizer(identities(policy({ Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: '*' })));
    expect(await noIdentity.authorize({ caller: session, action: 'secretsmanager:GetSecretValue', resources: [{ ...foreign, policy: resourcePolicy }], region: 'us-east-1' })).toMatchObject({
      allowed: false,
      message: expect.stringContaining('because no identity-based policy allows'),
    });
  });
});
