import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, awsClients, uniqueName } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';
import { simpleRotator, type RotationEvent, type RotatorOptions } from '../support/simple-rotator.ts';
import { serveTestFunction, type FunctionEnv, type TestFunction } from '../support/test-function.ts';

// Cross-account rotation as AWS documents it: a rotation function in a central account rotates a
// secret of a member account. Secrets Manager of the member invokes the central function (whose
// resource policy names the member as aws:SourceAccount); the function's execution role assumes a
// role in the member account and passes the event's RotationToken back on PutSecretValue.
const CENTRAL = '111111111111';
const MEMBER = '222222222222';
const STRANGER = '333333333333';
const EXTERNAL_ID = 'rcp-rotation';

let cloud: CloudProcess;
const functions: TestFunction[] = [];
const central = () => awsClients(cloud.url, { accessKeyId: CENTRAL });
const member = () => awsClients(cloud.url, { accessKeyId: MEMBER });

beforeAll(async () => {
  cloud = await startCloudProcess({ stateDir: await tempStateDir('cross-account') });
  const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  // the central function's execution role: Lambda may assume it, it may assume member rotation roles
  await central().iam.send(
    new CreateRoleCommand({ RoleName: 'rotator', AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]) }),
  );
  await central().iam.send(
    new PutRolePolicyCommand({ RoleName: 'rotator', PolicyName: 'assume', PolicyDocument: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/rcp-rotation' }]) }),
  );
  // the member's rotation role: trusts only the central rotator, with an external id; values only of managed secrets
  await member().iam.send(
    new CreateRoleCommand({
      RoleName: 'rcp-rotation',
      AssumeRolePolicyDocument: doc([
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CENTRAL}:role/rotator` }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } },
      ]),
    }),
  );
  await member().iam.send(
    new PutRolePolicyCommand({
      RoleName: 'rcp-rotation',
      PolicyName: 'rotate',
      PolicyDocument: doc([
        {
          Effect: 'Allow',
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
          Resource: '*',
          Condition: { StringEquals: { 'secretsmanager:ResourceTag/rcp:managed': 'true' } },
        },
        { Effect: 'Allow', Action: 'secretsmanager:GetRandomPassword', Resource: '*' },
      ]),
    }),
  );
});

afterAll(async () => {
  await Promise.all(functions.map((f) => f.close()));
  await cloud?.stop();
});

/** A Secrets Manager client acting as the member's rotation role, assumed with the function's own credentials. */
async function memberSession(event: RotationEvent, env: FunctionEnv): Promise<SecretsManagerClient> {
  const own = { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, sessionToken: env.AWS_SESSION_TOKEN };
  const sts = new STSClient({ endpoint: env.AWS_ENDPOINT_URL, region: env.AWS_REGION, credentials: own });
  const account = event.SecretId.split(':')[4];
  const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/rcp-rotation`, RoleSessionName: 'rotation', ExternalId: EXTERNAL_ID }));
  return new SecretsManagerClient({
    endpoint: env.AWS_ENDPOINT_URL,
    region: event.SecretId.split(':')[3],
    credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken },
    maxAttempts: 1,
  });
}

/** The central rotation function, with a resource policy for Secrets Manager of the given accounts. */
async function centralFunction(rotationToken: RotatorOptions['rotationToken'], sourceAccounts = [MEMBER]) {
  const rotator = simpleRotator(member().sm, {}, { client: memberSession, rotationToken });
  const fn = await serveTestFunction(cloud.url, uniqueName('central').slice(0, 60), rotator.handler, { account: CENTRAL, role: `arn:aws:iam::${CENTRAL}:role/rotator` });
  functions.push(fn);
  for (const account of sourceAccounts) {
    await central().lambda.send(
      new AddPermissionCommand({ FunctionName: fn.name, StatementId: `sm-${account}`, Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com', SourceAccount: account }),
    );
  }
  return { ...fn, calls: rotator.calls };
}

async function managedSecret(owner = member()) {
  const name = uniqueName('member-db');
  const out = await owner.sm.send(new CreateSecretCommand({ Name: name, SecretString: '{"username":"app","password":"initial"}', Tags: [{ Key: 'rcp:managed', Value: 'true' }] }));
  return { name, arn: out.ARN!, initial: out.VersionId! };
}

async function outcome(account: string, arn: string) {
  return eventually(`the rotation outcome of ${arn}`, async () => {
    const { events } = await admin<{ events: Array<{ account: string; detail: { eventName: string; additionalEventData: { SecretId: string } } }> }>(
      cloud.url,
      `/_local/events?account=${account}&source=aws.secretsmanager`,
    );
    const names = events.filter((e) => e.detail.additionalEventData.SecretId === arn).map((e) => e.detail.eventName);
    return names.includes('RotationSucceeded') || names.includes('RotationFailed') ? names : undefined;
  });
}

describe('cross-account rotation', () => {
  it('rotates a member secret with the central function, which passes the RotationToken back', async () => {
    const fn = await centralFunction((event) => event.RotationToken);
    const { name, arn, initial } = await managedSecret();
    const { VersionId } = await member().sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotationRules: { AutomaticallyAfterDays: 30 } }));
    expect(await outcome(MEMBER, arn)).toEqual(['RotationStarted', 'RotationSucceeded']);
    expect(fn.calls).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect((await member().sm.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages).toEqual({ [VersionId!]: ['AWSCURRENT'], [initial]: ['AWSPREVIOUS'] });
    expect(JSON.parse((await member().sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!).password).not.toBe('initial');
    // /_local/rotations reads the member's account-region
    const { secrets } = await admin<{ secrets: Array<{ arn: string; lastRotated: string }> }>(cloud.url, `/_local/rotations?account=${MEMBER}&region=us-east-1`);
    expect(secrets.find((s) => s.arn === arn)!.lastRotated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('refuses a wrong RotationToken, and a cross-account write without one while a rotation runs', async () => {
    for (const [token, label] of [[() => 'not-the-rotation-token', 'wrong'] as const, [() => undefined, 'missing'] as const]) {
      const fn = await centralFunction(token);
      const { name, arn } = await managedSecret();
      await member().sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotationRules: { AutomaticallyAfterDays: 30 } }));
      expect(await outcome(MEMBER, arn), label).toEqual(['RotationStarted', 'RotationFailed']);
      const { secrets } = await admin<{ secrets: Array<{ arn: string; inProgress?: { lastError: { step: string; errorType: string; message: string } } }> }>(
        cloud.url,
        `/_local/rotations?account=${MEMBER}`,
      );
      expect(secrets.find((s) => s.arn === arn)!.inProgress!.lastError, label).toMatchObject({
        step: 'createSecret',
        errorType: 'AccessDeniedException',
        message: expect.stringContaining('RotationToken'),
      });
      expect(JSON.parse((await member().sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!).password, label).toBe('initial');
    }
  });

  it('refuses to configure a central function whose resource policy does not name the secret\'s account', async () => {
    const fn = await centralFunction((event) => event.RotationToken, [STRANGER]);
    const { name } = await managedSecret();
    await expect(member().sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('Secrets Manager cannot invoke the specified Lambda function'),
    });
  });

  it('refuses a RotationToken when no rotation is in progress, and takes same-account writes without one', async () => {
    const { name } = await managedSecret();
    await expect(member().sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'x', RotationToken: 'forged' }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('RotationToken'),
    });
    await member().sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: '{"password":"by hand"}' }));
    expect((await member().sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('{"password":"by hand"}');
  });
});
