import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud/server.ts';
import type { LambdaContext } from '../../infra/local/cloud/services/lambda/functions.ts';
import { awsClients } from '../support/aws-clients.ts';
import { tempStateDir } from '../support/cloud-process.ts';

// Functions compiled into the local cloud's process (as the fleet rotator is): registered after
// start, given Lambda's environment with credentials of their execution role, and Lambda's deadline.
let cloud: LocalCloud;
const ACCOUNT = '777777777777';
beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, stateDir: await tempStateDir('builtin'), schedulerIntervalMs: 0 });
});
afterAll(() => cloud?.stop());

const payload = (out: { Payload?: Uint8Array }) => JSON.parse(Buffer.from(out.Payload!).toString('utf8')) as Record<string, unknown>;

describe('in-process functions', () => {
  it('get Lambda\'s environment with a session of their role, created once, and act as that role', async () => {
    const clients = awsClients(cloud.url, { accessKeyId: ACCOUNT, region: 'eu-west-1' });
    await clients.iam.send(
      new CreateRoleCommand({
        RoleName: 'worker',
        AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    await clients.iam.send(new PutRolePolicyCommand({ RoleName: 'worker', PolicyName: 'none', PolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }] }) }));
    let created = 0;
    const record = await cloud.registerFunction({
      name: 'worker',
      account: ACCOUNT,
      region: 'eu-west-1',
      role: `arn:aws:iam::${ACCOUNT}:role/worker`,
      environment: { STAGE: 'test' },
      create(env) {
        created += 1;
        const sts = new STSClient({ endpoint: env.AWS_ENDPOINT_URL, region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, sessionToken: env.AWS_SESSION_TOKEN } });
        return async () => {
          const identity = await sts.send(new GetCallerIdentityCommand({}));
          const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, ...rest } = env;
          return { env: rest, keyKind: AWS_ACCESS_KEY_ID!.slice(0, 4), hasSecrets: Boolean(AWS_SECRET_ACCESS_KEY && AWS_SESSION_TOKEN), arn: identity.Arn };
        };
      },
    });
    expect(record.arn).toBe(`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:worker`);
    const first = payload(await clients.lambda.send(new InvokeCommand({ FunctionName: 'worker', Payload: Buffer.from('{}') })));
    await clients.lambda.send(new InvokeCommand({ FunctionName: record.arn, Payload: Buffer.from('{}') }));
    expect(created).toBe(1);
    expect(first).toEqual({
      env: {
        STAGE: 'test',
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_ACCOUNT_ID: ACCOUNT,
        AWS_ENDPOINT_URL: cloud.url,
        AWS_LAMBDA_FUNCTION_NAME: 'worker',
        AWS_LAMBDA_FUNCTION_TIMEOUT: '30',
      },
      keyKind: 'ASIA',
      hasSecrets: true,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/worker/worker`,
    });
  });

  it('without a role act as their account\'s root, and cannot get a role that does not trust Lambda', async () => {
    await cloud.registerFunction({ name: 'plain', account: ACCOUNT, create: (env) => async () => env.AWS_ACCESS_KEY_ID });
    const clients = awsClients(cloud.url, { accessKeyId: ACCOUNT });
    expect(payload(await clients.lambda.send(new InvokeCommand({ FunctionName: 'plain' }))) as unknown).toBe(ACCOUNT);
    await cloud.registerFunction({ name: 'untrusted', account: ACCOUNT, role: `arn:aws:iam::${ACCOUNT}:role/no-such-role`, create: () => async () => 'never' });
    const refused = await clients.lambda.send(new InvokeCommand({ FunctionName: 'untrusted' }));
    expect(refused.FunctionError).toBe('Unhandled');
    expect(payload(refused)).toMatchObject({ errorType: 'InvalidParameterValueException', errorMessage: expect.stringContaining('cannot be assumed by Lambda') });
  });

  it('count down to their deadline and time out as Sandbox.Timedout', async () => {
    const remaining: number[] = [];
    await cloud.registerFunction({
      name: 'slow',
      timeoutSeconds: 1,
      create: () => async (_event: unknown, context: LambdaContext) => {
        remaining.push(context.getRemainingTimeInMillis());
        await new Promise((r) => setTimeout(r, 300));
        remaining.push(context.getRemainingTimeInMillis());
        await new Promise((r) => setTimeout(r, 2000));
        return 'too late';
      },
    });
    const out = await awsClients(cloud.url).lambda.send(new InvokeCommand({ FunctionName: 'slow' }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(payload(out)).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' });
    expect(remaining[0]).toBeLessThanOrEqual(1000);
    expect(remaining[0]! - remaining[1]!).toBeGreaterThanOrEqual(250);
  });
});

describe('in-process functions after a restart', () => {
  it('are waited for until the embedder registers their code again, within their timeout', async () => {
    const stateDir = await tempStateDir('builtin-restart');
    const first = await startLocalCloud({ port: 0, stateDir, schedulerIntervalMs: 0 });
    await first.registerFunction({ name: 'late', timeoutSeconds: 5, create: () => async () => 'first process' });
    await first.registerFunction({ name: 'gone', timeoutSeconds: 1, create: () => async () => 'first process' });
    await first.stop();

    const second = await startLocalCloud({ port: 0, stateDir, schedulerIntervalMs: 0 });
    try {
      const lambda = awsClients(second.url).lambda;
      // The record survived the restart; its code arrives 300 ms after the call.
      const started = Date.now();
      const invoked = lambda.send(new InvokeCommand({ FunctionName: 'late' }));
      await new Promise((r) => setTimeout(r, 300));
      await second.registerFunction({ name: 'late', timeoutSeconds: 5, create: () => async () => 'second process' });
      const out = await invoked;
      expect(out.FunctionError).toBeUndefined();
      expect(payload(out) as unknown).toBe('second process');
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);

      // Code never registered again: the invocation fails once the function's timeout has passed.
      const refused = await lambda.send(new InvokeCommand({ FunctionName: 'gone' }));
      expect(refused.FunctionError).toBe('Unhandled');
      expect(payload(refused)).toMatchObject({ errorType: 'Runtime.ImportModuleError', errorMessage: expect.stringContaining('not registered within its timeout') });
    } finally {
      await second.stop();
    }
  });
});
