import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, PutSecretValueCommand, RotateSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { CreateEventBusCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand, GetPolicyCommand } from '@aws-sdk/client-lambda';
import { CreateRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { admin, awsClients, uniqueName } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';
import { simpleRotator, type RotationEvent } from '../support/simple-rotator.ts';
import { serveTestFunction, type TestFunction } from '../support/test-function.ts';

// The local cloud killed with SIGKILL at the worst moments: nothing it answered is lost, and a
// rotation it was running when it died is retried at once when it comes back.
const running: CloudProcess[] = [];
const functions: TestFunction[] = [];
const releases: Array<() => void> = [];
afterAll(async () => {
  for (const release of releases) release();
  await Promise.all(running.map((c) => c.stop()));
  await Promise.all(functions.map((f) => f.close()));
});

async function start(stateDir: string, port = 0) {
  // The scheduler is off: only the start itself may resume an interrupted rotation.
  const cloud = await startCloudProcess({ stateDir, port, env: { LOCAL_CLOUD_SCHEDULER_MS: '0' } });
  running.push(cloud);
  return cloud;
}

async function serviceEvents(url: string, arn: string): Promise<string[]> {
  const { events } = await admin<{ events: Array<{ detail: { eventName: string; additionalEventData: { SecretId: string } } }> }>(url, '/_local/events?source=aws.secretsmanager');
  return events.filter((e) => e.detail.additionalEventData.SecretId === arn).map((e) => e.detail.eventName);
}

describe('a rotation interrupted by a crash', () => {
  it('is retried as soon as the cloud is back, and finishes within seconds', async () => {
    const stateDir = await tempStateDir('resume');
    const first = await start(stateDir);
    const port = Number(new URL(first.url).port);
    const clients = awsClients(first.url);
    const rotator = simpleRotator(clients.sm);
    // setSecret hangs the first time, long enough for the cloud to be killed in the middle of it
    let setSecretStarted!: () => void;
    const inSetSecret = new Promise<void>((resolve) => (setSecretStarted = resolve));
    let hang = true;
    const fn = await serveTestFunction(first.url, uniqueName('slow').slice(0, 60), async (event, env) => {
      if ((event as RotationEvent).Step === 'setSecret' && hang) {
        hang = false;
        setSecretStarted();
        await new Promise<void>((resolve) => releases.push(resolve));
        throw new Error('this answer goes to a cloud that no longer exists');
      }
      return rotator.handler(event, env);
    });
    functions.push(fn);
    await clients.lambda.send(new AddPermissionCommand({ FunctionName: fn.name, StatementId: 'sm', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com' }));
    const name = uniqueName('interrupted');
    const { ARN: arn, VersionId: initial } = await clients.sm.send(new CreateSecretCommand({ Name: name, SecretString: '{"username":"app","password":"before"}' }));
    const { VersionId: token } = await clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotationRules: { AutomaticallyAfterDays: 30 } }));
    await inSetSecret;

    await first.kill();
    const restarted = Date.now();
    const second = await start(stateDir, port);
    const events = await eventually('the resumed rotation', async () => {
      const names = await serviceEvents(second.url, arn!);
      return names.includes('RotationSucceeded') ? names : undefined;
    }, 60_000);
    // The bound: finished within 60 s of the restart (the start itself resumes it; no scheduler pass is needed).
    expect(Date.now() - restarted).toBeLessThan(60_000);
    expect(events).toEqual(['RotationStarted', 'RotationFailed', 'RotationStarted', 'RotationSucceeded']);
    expect((await clients.sm.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages).toEqual({ [token!]: ['AWSCURRENT'], [initial!]: ['AWSPREVIOUS'] });
    expect(rotator.calls).toEqual(['createSecret', 'createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(JSON.parse((await clients.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!).password).not.toBe('before');
  }, 120_000);
});

describe('state written before an answer', () => {
  it('survives a kill -9 right after the answers', async () => {
    const stateDir = await tempStateDir('durable');
    const first = await start(stateDir);
    const port = Number(new URL(first.url).port);
    const home = awsClients(first.url);
    const other = awsClients(first.url, { accessKeyId: '555555555555', region: 'eu-west-1' });

    const names = Array.from({ length: 20 }, () => uniqueName('burst'));
    const target = uniqueName('many-versions');
    await home.sm.send(new CreateSecretCommand({ Name: target, SecretString: 'v0' }));
    const fn = await serveTestFunction(first.url, uniqueName('durable-fn').slice(0, 60), async () => null);
    functions.push(fn);
    const bus = uniqueName('bus');
    const role = uniqueName('role');

    // Many writes of every kind at once, in two accounts: each answer must mean "on disk".
    const answers = await Promise.all([
      ...names.map((name, i) => home.sm.send(new CreateSecretCommand({ Name: name, SecretString: `value-${i}`, Tags: [{ Key: 'n', Value: String(i) }] }))),
      ...Array.from({ length: 20 }, (_, i) => home.sm.send(new PutSecretValueCommand({ SecretId: target, SecretString: `v${i + 1}` }))),
      ...names.slice(0, 10).map((name) => other.sm.send(new CreateSecretCommand({ Name: name, SecretString: 'elsewhere' }))),
      home.lambda.send(new AddPermissionCommand({ FunctionName: fn.name, StatementId: 'kept', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' })),
      other.events.send(new CreateEventBusCommand({ Name: bus })),
      other.iam.send(
        new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: '555555555555' }, Action: 'sts:AssumeRole' }] }) }),
      ),
    ]);
    await other.iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'p', PolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }));
    const put = await other.events.send(new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: 'rcp.durable', DetailType: 'kept', Detail: '{}' }] }));
    await home.sm.send(new TagResourceCommand({ SecretId: target, Tags: [{ Key: 'last', Value: 'write' }] }));
    const versionIds = answers.slice(names.length, names.length + 20).map((a) => (a as { VersionId: string }).VersionId);
    await first.kill();

    await start(stateDir, port);
    for (const [i, name] of names.entries()) {
      expect((await home.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(`value-${i}`);
    }
    for (const name of names.slice(0, 10)) expect((await other.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('elsewhere');
    const versions = await home.sm.send(new ListSecretVersionIdsCommand({ SecretId: target, IncludeDeprecated: true }));
    expect(versions.Versions!.map((v) => v.VersionId)).toEqual(expect.arrayContaining(versionIds));
    expect((await home.sm.send(new DescribeSecretCommand({ SecretId: target }))).Tags).toEqual([{ Key: 'last', Value: 'write' }]);
    expect((await home.lambda.send(new GetPolicyCommand({ FunctionName: fn.name }))).Policy).toContain('"Sid":"kept"');
    expect(decodeURIComponent((await other.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'p' }))).PolicyDocument!)).toContain('"Action":"*"');
    const { events } = await admin<{ events: Array<{ id: string }> }>(first.url, `/_local/events?account=555555555555&bus=${bus}`);
    expect(events.map((e) => e.id)).toEqual([put.Entries![0]!.EventId]);
  }, 120_000);
});
