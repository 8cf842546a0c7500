import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, PutResourcePolicyCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeAccountCommand, DescribeOrganizationCommand, ListAccountsCommand } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, awsClients, uniqueName, type Credentials } from '../support/aws-clients.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';

// IAM roles, sts:AssumeRole and the authorisation of role sessions, and Organizations. The
// organisation is global to a cloud: these tests get their own.
const MANAGEMENT = '111111111111';
const MEMBER = '222222222222';
const OTHER_MEMBER = '333333333333';
const OUTSIDER = '444444444444';
const ORG = 'o-a1b2c3d4e5';

let cloud: CloudProcess;
beforeAll(async () => {
  cloud = await startCloudProcess({ stateDir: await tempStateDir('iam') });
  await admin(cloud.url, '/_local/organization', {
    method: 'PUT',
    body: { id: ORG, managementAccount: MANAGEMENT, accounts: [{ id: MEMBER, name: 'payments', email: 'payments@example.com' }, { id: OTHER_MEMBER, name: 'identity' }] },
  });
});
afterAll(() => cloud?.stop());

const as = (account: string, region = 'us-east-1') => awsClients(cloud.url, { accessKeyId: account, region });
const withCredentials = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string }) =>
  awsClients(cloud.url, { credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken } as Credentials });
const trust = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }] });
const permissions = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

async function role(account: string, name: string, trustPolicy: string, policy?: string) {
  const { iam } = as(account);
  const { Role } = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy }));
  if (policy) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'inline', PolicyDocument: policy }));
  return Role!.Arn!;
}

describe('IAM roles', () => {
  it('creates, reads, lists and deletes roles and their inline policies', async () => {
    const { iam } = as(MEMBER);
    const name = uniqueName('role');
    const doc = trust({ Principal: { AWS: MANAGEMENT } });
    const created = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: doc, Description: 'inventory', Path: '/rcp/' }));
    expect(created.Role).toMatchObject({ RoleName: name, Path: '/rcp/', Arn: `arn:aws:iam::${MEMBER}:role/rcp/${name}`, MaxSessionDuration: 3600 });
    expect(created.Role!.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(created.Role!.CreateDate).toBeInstanceOf(Date);
    const read = await iam.send(new GetRoleCommand({ RoleName: name }));
    // IAM hands the document back URL-encoded, as AWS does
    expect(JSON.parse(decodeURIComponent(read.Role!.AssumeRolePolicyDocument!))).toEqual(JSON.parse(doc));
    await expect(iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: doc }))).rejects.toMatchObject({ name: 'EntityAlreadyExistsException' });
    await expect(iam.send(new CreateRoleCommand({ RoleName: uniqueName('bad'), AssumeRolePolicyDocument: '{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}' }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
    });

    const policy = permissions({ Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' });
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'list', PolicyDocument: policy }));
    expect(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'list' }))).PolicyDocument!)).toBe(policy);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames).toEqual(['list']);
    expect((await iam.send(new ListRolesCommand({ PathPrefix: '/rcp/' }))).Roles!.map((r) => r.RoleName)).toEqual([name]);
    await expect(iam.send(new DeleteRoleCommand({ RoleName: name }))).rejects.toMatchObject({ name: 'DeleteConflictException' });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: 'list' }));
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
    await expect(iam.send(new GetRoleCommand({ RoleName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException', message: `The role with name ${name} cannot be found.` });
  });

  it('keeps roles per account, whatever the region', async () => {
    const name = uniqueName('global');
    await role(MEMBER, name, trust({ Principal: { AWS: MANAGEMENT } }));
    expect((await as(MEMBER, 'eu-west-1').iam.send(new GetRoleCommand({ RoleName: name }))).Role!.RoleName).toBe(name);
    await expect(as(OTHER_MEMBER).iam.send(new GetRoleCommand({ RoleName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });
});

describe('sts:AssumeRole', () => {
  it('gives a trusted principal a session that acts as the role in its account', async () => {
    const arn = await role(MEMBER, uniqueName('inventory'), trust({ Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` }, Condition: { StringEquals: { 'sts:ExternalId': 'rcp-inventory' } } }));
    const { Credentials, AssumedRoleUser } = await as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'scan', ExternalId: 'rcp-inventory' }));
    expect(Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(Credentials!.Expiration!.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    const roleName = arn.split('/').at(-1);
    expect(AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/${roleName}/scan`);
    const identity = await withCredentials(Credentials!).sts.send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: MEMBER, Arn: AssumedRoleUser!.Arn, UserId: AssumedRoleUser!.AssumedRoleId });
  });

  it('refuses a principal the trust policy does not name, a wrong external id, and a role that does not exist', async () => {
    const arn = await role(MEMBER, uniqueName('strict'), trust({ Principal: { AWS: MANAGEMENT }, Condition: { StringEquals: { 'sts:ExternalId': 'right' } } }));
    const refusal = (caller: string, target = arn) => ({ name: 'AccessDenied', message: `User: arn:aws:iam::${caller}:root is not authorized to perform: sts:AssumeRole on resource: ${target}` });
    await expect(as(OUTSIDER).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 's1', ExternalId: 'right' }))).rejects.toMatchObject(refusal(OUTSIDER));
    await expect(as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 's1', ExternalId: 'wrong' }))).rejects.toMatchObject(refusal(MANAGEMENT));
    await expect(as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 's1' }))).rejects.toMatchObject(refusal(MANAGEMENT));
    const missing = `arn:aws:iam::${MEMBER}:role/no-such-role`;
    await expect(as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: 's1' }))).rejects.toMatchObject(refusal(MANAGEMENT, missing));
    await expect(as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 's1', ExternalId: 'right', DurationSeconds: 7200 }))).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });

  it('follows a trust policy replaced with UpdateAssumeRolePolicy (a stack update)', async () => {
    const name = uniqueName('retrusted');
    const arn = await role(MEMBER, name, trust({ Principal: { AWS: MANAGEMENT } }));
    await as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'before' }));
    await as(MEMBER).iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trust({ Principal: { AWS: OTHER_MEMBER } }) }));
    await expect(as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'after' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await as(OTHER_MEMBER).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'after' }));
    await expect(as(MEMBER).iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: '{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}' }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
    });
  });

  it('chains from a role session only when the first role may call sts:AssumeRole, for at most an hour', async () => {
    const second = await role(MEMBER, uniqueName('second'), trust({ Principal: { AWS: MANAGEMENT } }));
    const first = await role(
      MANAGEMENT,
      uniqueName('first'),
      trust({ Principal: { AWS: MANAGEMENT } }),
      permissions({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${MEMBER}:role/*` }),
    );
    const unprivileged = await role(MANAGEMENT, uniqueName('plain'), trust({ Principal: { AWS: MANAGEMENT } }));
    const firstSession = withCredentials((await as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: first, RoleSessionName: 'hop' }))).Credentials!);
    const chained = await firstSession.sts.send(new AssumeRoleCommand({ RoleArn: second, RoleSessionName: 'hop2' }));
    expect((await withCredentials(chained.Credentials!).sts.send(new GetCallerIdentityCommand({}))).Account).toBe(MEMBER);
    await expect(firstSession.sts.send(new AssumeRoleCommand({ RoleArn: second, RoleSessionName: 'hop3', DurationSeconds: 3601 }))).rejects.toThrow(/role chaining/);
    const plainSession = withCredentials((await as(MANAGEMENT).sts.send(new AssumeRoleCommand({ RoleArn: unprivileged, RoleSessionName: 'p1' }))).Credentials!);
    await expect(plainSession.sts.send(new AssumeRoleCommand({ RoleArn: second, RoleSessionName: 'p2' }))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('answers over the JSON protocol too, with its timestamps in epoch seconds', async () => {
    const arn = await role(MEMBER, uniqueName('json'), trust({ Principal: { AWS: MANAGEMENT } }));
    const response = await fetch(cloud.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSSecurityTokenServiceV20110615.AssumeRole',
        authorization: `AWS4-HMAC-SHA256 Credential=${MANAGEMENT}/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ RoleArn: arn, RoleSessionName: 'json' }),
    });
    expect(response.status).toBe(200);
    const out = (await response.json()) as { Credentials: { AccessKeyId: string; Expiration: number }; AssumedRoleUser: { Arn: string } };
    expect(out.Credentials.AccessKeyId).toMatch(/^ASIA/);
    expect(out.Credentials.Expiration * 1000).toBeGreaterThan(Date.now());
    expect(out.AssumedRoleUser.Arn).toMatch(new RegExp(`^arn:aws:sts::${MEMBER}:assumed-role/`));
  });

  it('works from the aws CLI', async () => {
    const arn = await role(MEMBER, uniqueName('cli'), trust({ Principal: { AWS: MANAGEMENT } }));
    const env = { ...process.env, AWS_ACCESS_KEY_ID: MANAGEMENT, AWS_SECRET_ACCESS_KEY: 'x', AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
    const { stdout } = await promisify(execFile)('/usr/bin/aws', ['--endpoint-url', cloud.url, '--output', 'json', 'sts', 'assume-role', '--role-arn', arn, '--role-session-name', 'cli'], { env });
    const { Credentials } = JSON.parse(stdout) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } };
    const sessionEnv = { ...env, AWS_ACCESS_KEY_ID: Credentials.AccessKeyId, AWS_SECRET_ACCESS_KEY: Credentials.SecretAccessKey, AWS_SESSION_TOKEN: Credentials.SessionToken };
    const who = await promisify(execFile)('/usr/bin/aws', ['--endpoint-url', cloud.url, '--output', 'json', 'sts', 'get-caller-identity'], { env: sessionEnv });
    expect(JSON.parse(who.stdout)).toMatchObject({ Account: MEMBER, Arn: expect.stringMatching(/:assumed-role\/.+\/cli$/) });
  });
});

describe('a role session is authorised by its role policies', () => {
  it('reads only what a tag condition allows, is refused elsewhere with AWS\'s message, and an explicit deny wins', async () => {
    const owner = as(MEMBER);
    const payments = uniqueName('payments');
    const identity = uniqueName('identity');
    await owner.sm.send(new CreateSecretCommand({ Name: payments, SecretString: 'p', Tags: [{ Key: 'team', Value: 'payments' }] }));
    const { ARN: identityArn } = await owner.sm.send(new CreateSecretCommand({ Name: identity, SecretString: 'i', Tags: [{ Key: 'team', Value: 'identity' }] }));
    const arn = await role(
      MEMBER,
      uniqueName('payments-reader'),
      trust({ Principal: { AWS: MEMBER } }),
      permissions(
        { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: '*', Condition: { StringEquals: { 'secretsmanager:ResourceTag/team': 'payments' } } },
        { Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' },
        { Effect: 'Deny', Action: 'secretsmanager:DescribeSecret', Resource: '*' },
      ),
    );
    const { Credentials, AssumedRoleUser } = await owner.sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'reader' }));
    const reader = withCredentials(Credentials!);
    expect((await reader.sm.send(new GetSecretValueCommand({ SecretId: payments }))).SecretString).toBe('p');
    await expect(reader.sm.send(new GetSecretValueCommand({ SecretId: identity }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${AssumedRoleUser!.Arn} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${identityArn} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    });
    await expect(reader.sm.send(new DescribeSecretCommand({ SecretId: payments }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('with an explicit deny in an identity-based policy'),
    });
    expect((await reader.sm.send(new ListSecretsCommand({}))).SecretList!.length).toBeGreaterThanOrEqual(2);
    // a session without any policy can do nothing
    const bare = await role(MEMBER, uniqueName('bare'), trust({ Principal: { AWS: MEMBER } }));
    const nobody = withCredentials((await owner.sts.send(new AssumeRoleCommand({ RoleArn: bare, RoleSessionName: 'n1' }))).Credentials!);
    await expect(nobody.sm.send(new ListSecretsCommand({}))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('cross-account access to a secret', () => {
  it('needs the secret\'s resource policy and the caller\'s identity policy both to allow it', async () => {
    const reader = await role(
      OTHER_MEMBER,
      uniqueName('cross-reader'),
      trust({ Principal: { AWS: OTHER_MEMBER } }),
      permissions({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `arn:aws:secretsmanager:*:${MEMBER}:secret:*` }),
    );
    const session = withCredentials((await as(OTHER_MEMBER).sts.send(new AssumeRoleCommand({ RoleArn: reader, RoleSessionName: 'cross' }))).Credentials!);
    const { ARN } = await as(MEMBER).sm.send(new CreateSecretCommand({ Name: uniqueName('shared'), SecretString: 'shared value' }));
    await expect(session.sm.send(new GetSecretValueCommand({ SecretId: ARN }))).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('no resource-based policy') });
    await as(MEMBER).sm.send(
      new PutResourcePolicyCommand({
        SecretId: ARN,
        ResourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: reader }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }] }),
      }),
    );
    expect((await session.sm.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe('shared value');
    // the resource policy names one role: another role of that account is refused
    const other = await role(OTHER_MEMBER, uniqueName('no-rights'), trust({ Principal: { AWS: OTHER_MEMBER } }), permissions({ Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' }));
    const withoutRights = withCredentials((await as(OTHER_MEMBER).sts.send(new AssumeRoleCommand({ RoleArn: other, RoleSessionName: 'cross2' }))).Credentials!);
    await expect(withoutRights.sm.send(new GetSecretValueCommand({ SecretId: ARN }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('Organizations', () => {
  it('describes the organisation to its members and lists its accounts to the management account, page by page', async () => {
    const described = await as(MEMBER).organizations.send(new DescribeOrganizationCommand({}));
    expect(described.Organization).toMatchObject({ Id: ORG, MasterAccountId: MANAGEMENT, Arn: `arn:aws:organizations::${MANAGEMENT}:organization/${ORG}`, FeatureSet: 'ALL' });
    const management = as(MANAGEMENT).organizations;
    const ids: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await management.send(new ListAccountsCommand({ MaxResults: 2, NextToken }));
      expect(page.Accounts!.length).toBeLessThanOrEqual(2);
      ids.push(...page.Accounts!.map((a) => a.Id!));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(ids.sort()).toEqual([MANAGEMENT, MEMBER, OTHER_MEMBER]);
    expect((await management.send(new DescribeAccountCommand({ AccountId: MEMBER }))).Account).toMatchObject({ Id: MEMBER, Name: 'payments', Email: 'payments@example.com', Status: 'ACTIVE' });
    await expect(management.send(new DescribeAccountCommand({ AccountId: OUTSIDER }))).rejects.toMatchObject({ name: 'AccountNotFoundException' });
    await expect(as(MEMBER).organizations.send(new ListAccountsCommand({}))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(as(OUTSIDER).organizations.send(new DescribeOrganizationCommand({}))).rejects.toMatchObject({ name: 'AWSOrganizationsNotInUseException' });
  });

  it('evaluates aws:PrincipalOrgID against the organisation', async () => {
    const arn = await role(MEMBER, uniqueName('org-only'), trust({ Principal: { AWS: '*' }, Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } } }));
    await as(OTHER_MEMBER).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'in-org' }));
    await expect(as(OUTSIDER).sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'outside' }))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('refuses an invalid organisation with the reason', async () => {
    const response = await fetch(`${cloud.url}/_local/organization`, { method: 'PUT', body: JSON.stringify({ id: 'org-1', managementAccount: MANAGEMENT, accounts: [] }) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('o-exampleorgid');
  });
});
