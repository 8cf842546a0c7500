import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { CreateEventBusCommand, ListEventBusesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand, GetPolicyCommand } from '@aws-sdk/client-lambda';
import { CreateTableCommand, GetItemCommand, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { admin, awsClients, uniqueName } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';
import { simpleRotator } from '../support/simple-rotator.ts';
import { serveTestFunction, type TestFunction } from '../support/test-function.ts';

const running: CloudProcess[] = [];
const functions: TestFunction[] = [];
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  await Promise.all(functions.map((f) => f.close()));
});

async function start(stateDir: string, port = 0) {
  // The scheduler runs by itself here, every 100 ms of real time.
  const cloud = await startCloudProcess({ stateDir, port, env: { LOCAL_CLOUD_SCHEDULER_MS: '100' } });
  running.push(cloud);
  return cloud;
}

describe('a local cloud that crashes and restarts', () => {
  it('comes back with secrets, versions, rotation state, events, permissions and tables, and finishes the rotation it was retrying', async () => {
    const stateDir = await tempStateDir('restart');
    const first = await start(stateDir);
    const port = Number(new URL(first.url).port);
    let clients = awsClients(first.url);

    const name = uniqueName('durable');
    await clients.sm.send(new CreateSecretCommand({ Name: name, SecretString: '{"username":"app","password":"v1"}', Tags: [{ Key: 'team', Value: 'a' }] }));
    const { VersionId: v2 } = await clients.sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: '{"username":"app","password":"v2"}' }));
    const bus = uniqueName('bus');
    await clients.events.send(new CreateEventBusCommand({ Name: bus }));
    const put = await clients.events.send(new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: 'rcp.test', DetailType: 'kept', Detail: '{}' }] }));
    const table = uniqueName('t');
    await clients.dynamodb.send(
      new CreateTableCommand({ TableName: table, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'k' } } }));

    // A rotation whose createSecret fails once: it is waiting for its retry when the cloud dies.
    let rotator = simpleRotator(clients.sm, { createSecret: 1 });
    const fn = await serveTestFunction(first.url, uniqueName('durable-fn').slice(0, 60), (event) => rotator.handler(event));
    functions.push(fn);
    await clients.lambda.send(new AddPermissionCommand({ FunctionName: fn.name, StatementId: 'sm', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com' }));
    const { VersionId: token } = await clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotationRules: { AutomaticallyAfterDays: 7 } }));
    // The RotationFailed event is sent once the failure is on disk (the in-memory view may be ahead of it).
    await eventually('the failed first attempt', async () => {
      const { events } = await admin<{ events: Array<{ detail: { eventName: string; additionalEventData: { SecretId: string } } }> }>(first.url, '/_local/events?source=aws.secretsmanager');
      return events.some((e) => e.detail.eventName === 'RotationFailed' && e.detail.additionalEventData.SecretId.includes(name)) ? true : undefined;
    });

    await first.kill();
    const second = await start(stateDir, port);
    expect(second.url).toBe(first.url);
    clients = awsClients(second.url);
    // the function's code lives in this test process; point its handler at the new cloud's clients
    rotator = simpleRotator(clients.sm);

    const described = await clients.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.Tags).toEqual([{ Key: 'team', Value: 'a' }]);
    expect(described.VersionIdsToStages![v2!]).toEqual(['AWSCURRENT']);
    expect(described.VersionIdsToStages![token!]).toEqual(['AWSPENDING']);
    expect((await clients.lambda.send(new GetPolicyCommand({ FunctionName: fn.name }))).Policy).toContain('secretsmanager.amazonaws.com');
    expect((await clients.events.send(new ListEventBusesCommand({ NamePrefix: bus }))).EventBuses!.map((b) => b.Name)).toEqual([bus]);
    const { events } = await admin<{ events: Array<{ id: string }> }>(second.url, `/_local/events?bus=${bus}`);
    expect(events.map((e) => e.id)).toEqual([put.Entries![0]!.EventId]);
    expect((await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'k' } } }))).Item).toEqual({ pk: { S: 'k' } });

    // The retry is due after the backoff; the restarted scheduler picks it up by itself.
    await admin(second.url, '/_local/clock', { body: { advanceSeconds: 180 } });
    const rotated = await eventually('the retried rotation', async () => {
      const stages = (await clients.sm.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages!;
      // finished once the service has taken AWSPENDING off the new current version
      return stages[token!]?.includes('AWSCURRENT') && !stages[token!]!.includes('AWSPENDING') ? stages : undefined;
    });
    expect(rotated).toEqual({ [token!]: ['AWSCURRENT'], [v2!]: ['AWSPREVIOUS'] });
  });

  it('keeps the clock where a test moved it', async () => {
    const stateDir = await tempStateDir('clock');
    const first = await start(stateDir);
    const moved = Date.parse((await admin<{ now: string }>(first.url, '/_local/clock', { body: { advanceSeconds: 10 * 86_400 } })).now);
    await first.stop();
    const second = await start(stateDir);
    const now = Date.parse((await admin<{ now: string }>(second.url, '/_local/clock')).now);
    expect(now).toBeGreaterThanOrEqual(moved);
    expect(now - Date.now()).toBeGreaterThan(9.9 * 86_400_000);
  });
});

describe('the scheduler', () => {
  it('starts a due rotation by itself once its window opens', async () => {
    const cloud = await start(await tempStateDir('schedule'));
    const clients = awsClients(cloud.url);
    const rotator = simpleRotator(clients.sm);
    const fn = await serveTestFunction(cloud.url, 'scheduled-rotator', rotator.handler);
    functions.push(fn);
    await clients.lambda.send(new AddPermissionCommand({ FunctionName: fn.name, StatementId: 'sm', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com', SourceAccount: '000000000000' }));
    const name = uniqueName('sched');
    await clients.sm.send(new CreateSecretCommand({ Name: name, SecretString: '{"password":"p"}' }));
    await clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotateImmediately: false, RotationRules: { ScheduleExpression: 'rate(1 days)', Duration: '2h' } }));
    const next = (await clients.sm.send(new DescribeSecretCommand({ SecretId: name }))).NextRotationDate!;
    // Move to five minutes into the window (it closes two hours after it opens).
    await admin(cloud.url, '/_local/clock', { body: { to: new Date(next.getTime() + 1000 - 2 * 3_600_000 + 5 * 60_000).toISOString() } });
    const described = await eventually('the scheduled rotation', async () => {
      const d = await clients.sm.send(new DescribeSecretCommand({ SecretId: name }));
      return d.LastRotatedDate ? d : undefined;
    });
    expect(rotator.calls).toEqual(['testSecret', 'createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(described.NextRotationDate!.getTime()).toBe(next.getTime() + 86_400_000);
    expect(JSON.parse((await clients.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!).password).not.toBe('p');
  });
});
