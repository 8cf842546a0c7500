import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, awsClients, uniqueName } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';
import { simpleRotator } from '../support/simple-rotator.ts';
import { serveTestFunction, type TestFunction } from '../support/test-function.ts';

// Rotation moves the cloud's clock, so these tests get a cloud of their own.
let cloud: CloudProcess;
let clients: ReturnType<typeof awsClients>;
const functions: TestFunction[] = [];

interface CloudTrailEvent {
  id: string;
  source: string;
  'detail-type': string;
  detail: { eventName: string; errorMessage?: string; additionalEventData: { SecretId: string }; requestID: string; eventType: string };
}

beforeAll(async () => {
  cloud = await startCloudProcess({ stateDir: await tempStateDir('rotation') });
  clients = awsClients(cloud.url);
});

afterAll(async () => {
  await Promise.all(functions.map((f) => f.close()));
  await cloud?.stop();
});

/** A registered rotation function that Secrets Manager is allowed to invoke (as the rotator stack grants). */
async function rotationFunction(failures: Parameters<typeof simpleRotator>[1] = {}, grant = true) {
  const rotator = simpleRotator(clients.sm, failures);
  const fn = await serveTestFunction(cloud.url, uniqueName('fn').slice(0, 60), rotator.handler);
  functions.push(fn);
  if (grant) {
    await clients.lambda.send(
      new AddPermissionCommand({
        FunctionName: fn.name,
        StatementId: 'SecretsManagerAccess',
        Action: 'lambda:InvokeFunction',
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: '000000000000',
      }),
    );
  }
  return { ...fn, calls: rotator.calls };
}

async function secret(value = { username: 'app', password: 'initial' }) {
  const name = uniqueName('rot');
  const out = await clients.sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
  return { name, arn: out.ARN!, initialVersion: out.VersionId! };
}

async function rotationEvents(secretArn: string): Promise<CloudTrailEvent[]> {
  const { events } = await admin<{ events: CloudTrailEvent[] }>(cloud.url, '/_local/events?source=aws.secretsmanager');
  return events.filter((e) => e.detail.additionalEventData.SecretId === secretArn);
}

async function waitForEvent(secretArn: string, eventName: string, count = 1): Promise<CloudTrailEvent[]> {
  return eventually(`${count} ${eventName}`, async () => {
    const matching = (await rotationEvents(secretArn)).filter((e) => e.detail.eventName === eventName);
    return matching.length >= count ? matching : undefined;
  });
}

describe('RotateSecret', () => {
  it('rotates immediately through the four steps, moves the labels and reports the CloudTrail events', async () => {
    const fn = await rotationFunction();
    const { name, arn, initialVersion } = await secret();
    const out = await clients.sm.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '3h' } }),
    );
    expect(out.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    await waitForEvent(arn, 'RotationSucceeded');

    expect(fn.calls).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    const described = await clients.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({ [out.VersionId!]: ['AWSCURRENT'], [initialVersion]: ['AWSPREVIOUS'] });
    expect(described).toMatchObject({ RotationEnabled: true, RotationLambdaARN: fn.arn, RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '3h', AutomaticallyAfterDays: 10 } });
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    // the next window opens at midnight UTC ten days after this rotation and closes 3 hours later
    const lastRotated = described.LastRotatedDate!.getTime();
    const expectedEnd = Math.floor(lastRotated / 86_400_000) * 86_400_000 + 10 * 86_400_000 + 3 * 3_600_000 - 1000;
    expect(described.NextRotationDate!.getTime()).toBe(expectedEnd);

    const current = JSON.parse((await clients.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!) as { password: string };
    expect(current.password).not.toBe('initial');
    const events = await rotationEvents(arn);
    expect(events.map((e) => e.detail.eventName)).toEqual(['RotationStarted', 'RotationSucceeded']);
    expect(events[1]).toMatchObject({ source: 'aws.secretsmanager', 'detail-type': 'AWS Service Event via CloudTrail' });
    expect(events[1]!.detail).toMatchObject({ eventType: 'AwsServiceEvent', requestID: `Rotation-${arn}-${out.VersionId}` });
  });

  it('refuses a function Secrets Manager may not invoke, and changes nothing', async () => {
    const fn = await rotationFunction({}, false);
    const { name } = await secret();
    await expect(clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('Secrets Manager cannot invoke the specified Lambda function'),
    });
    const described = await clients.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.RotationEnabled).toBeUndefined();
    expect(Object.keys(described.VersionIdsToStages!)).toHaveLength(1);
  });

  it('honours an aws:SourceAccount condition that names another account', async () => {
    const rotator = simpleRotator(clients.sm);
    const fn = await serveTestFunction(cloud.url, uniqueName('other').slice(0, 60), rotator.handler);
    functions.push(fn);
    await clients.lambda.send(
      new AddPermissionCommand({ FunctionName: fn.name, StatementId: 'x', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com', SourceAccount: '111111111111' }),
    );
    const { name } = await secret();
    await expect(clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('rejects invalid rules and a secret with no function', async () => {
    const fn = await rotationFunction();
    const { name } = await secret();
    const rotate = (rules: object) => clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotationRules: rules }));
    await expect(rotate({ AutomaticallyAfterDays: 5, ScheduleExpression: 'rate(5 days)' })).rejects.toThrow(
      'You cannot specify both rotation frequency and schedule expression together.',
    );
    await expect(rotate({ ScheduleExpression: 'rate(0 days)' })).rejects.toThrow(InvalidParameterException);
    await expect(rotate({ ScheduleExpression: 'rate(2 hours)' })).rejects.toThrow(/every 4 hours/);
    await expect(rotate({ ScheduleExpression: 'cron(0 8 * * * *)' })).rejects.toThrow(/"\?"/);
    await expect(rotate({ ScheduleExpression: 'cron(0 22 * * ? *)', Duration: '4h' })).rejects.toThrow(/next UTC day/);
    await expect(rotate({ AutomaticallyAfterDays: 1001 })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(clients.sm.send(new RotateSecretCommand({ SecretId: name }))).rejects.toThrow('No Lambda rotation function ARN is associated with this secret.');
  });

  it('retries a failing step later with the same token, keeping AWSPENDING and refusing a new rotation meanwhile', async () => {
    const fn = await rotationFunction({ setSecret: 1 });
    const { name, arn, initialVersion } = await secret();
    const { VersionId: token } = await clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotationRules: { AutomaticallyAfterDays: 30 } }));
    const [failed] = await waitForEvent(arn, 'RotationFailed');
    expect(failed!.detail.errorMessage).toBe(`Error when executing lambda ${fn.arn} during setSecret step`);
    expect((await clients.sm.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages).toEqual({
      [initialVersion]: ['AWSCURRENT'],
      [token!]: ['AWSPENDING'],
    });
    const { secrets } = await admin<{ secrets: Array<{ arn: string; inProgress?: { attempts: number; lastError: { step: string; message: string } } }> }>(
      cloud.url,
      '/_local/rotations',
    );
    expect(secrets.find((s) => s.arn === arn)!.inProgress).toMatchObject({ attempts: 1, lastError: { step: 'setSecret', message: 'setSecret failed on purpose' } });
    await expect(clients.sm.send(new RotateSecretCommand({ SecretId: name }))).rejects.toThrow("A previous rotation isn't complete. That rotation will be reattempted.");

    // Not due yet: a scheduler pass right away leaves it alone.
    expect((await admin<{ started: string[] }>(cloud.url, '/_local/scheduler/tick?wait=true', { body: {} })).started).not.toContain(arn);
    await admin(cloud.url, '/_local/clock', { body: { advanceSeconds: 180 } });
    expect((await admin<{ started: string[] }>(cloud.url, '/_local/scheduler/tick?wait=true', { body: {} })).started).toContain(arn);

    expect(fn.calls).toEqual(['createSecret', 'setSecret', 'createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect((await clients.sm.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages).toEqual({
      [token!]: ['AWSCURRENT'],
      [initialVersion]: ['AWSPREVIOUS'],
    });
    expect((await rotationEvents(arn)).map((e) => e.detail.eventName)).toEqual(['RotationStarted', 'RotationFailed', 'RotationStarted', 'RotationSucceeded']);
  });

  it('fails a rotation whose finishSecret does not move AWSCURRENT', async () => {
    const fn = await serveTestFunction(cloud.url, uniqueName('lazy').slice(0, 60), async () => null);
    functions.push(fn);
    await clients.lambda.send(
      new AddPermissionCommand({ FunctionName: fn.name, StatementId: 'sm', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com' }),
    );
    const { name, arn } = await secret();
    await clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn }));
    const [failed] = await waitForEvent(arn, 'RotationFailed');
    expect(failed!.detail.errorMessage).toContain('during finishSecret step');
  });

  it('cancels rotation, leaving the pending label for the user to remove', async () => {
    const fn = await rotationFunction({ createSecret: 100 });
    const { name, arn, initialVersion } = await secret();
    const { VersionId: token } = await clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn }));
    await waitForEvent(arn, 'RotationFailed');
    const cancelled = await clients.sm.send(new CancelRotateSecretCommand({ SecretId: name }));
    expect(cancelled.VersionId).toBe(token);
    const described = await clients.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.RotationEnabled).toBe(false);
    expect(described.NextRotationDate).toBeUndefined();
    expect(described.VersionIdsToStages![token!]).toEqual(['AWSPENDING']);
    // the documented fix: take AWSPENDING off, then rotation can be turned on again
    await expect(clients.sm.send(new RotateSecretCommand({ SecretId: name }))).rejects.toThrow(InvalidRequestException);
    await clients.sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
    expect((await clients.sm.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages).toEqual({ [initialVersion]: ['AWSCURRENT'] });
  });

  it('forgets a stuck rotation once its AWSPENDING label is removed, so the schedule resumes', async () => {
    const fn = await rotationFunction({ createSecret: 1 });
    const { name, arn } = await secret();
    const { VersionId: token } = await clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotationRules: { AutomaticallyAfterDays: 1 } }));
    await waitForEvent(arn, 'RotationFailed');
    await clients.sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
    const { secrets } = await admin<{ secrets: Array<{ arn: string; inProgress?: unknown }> }>(cloud.url, '/_local/rotations');
    expect(secrets.find((s) => s.arn === arn)!.inProgress).toBeUndefined();
    // and RotateSecret works again at once, with a token of its own
    const again = await clients.sm.send(new RotateSecretCommand({ SecretId: name }));
    expect(again.VersionId).not.toBe(token);
    await waitForEvent(arn, 'RotationSucceeded');
  });

  it('changes nothing when RotateSecret is refused for a token already in use', async () => {
    const fn = await rotationFunction();
    const { name, initialVersion } = await secret();
    await expect(
      clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, ClientRequestToken: initialVersion, RotationRules: { AutomaticallyAfterDays: 3 } })),
    ).rejects.toMatchObject({ name: 'ResourceExistsException' });
    const described = await clients.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.RotationEnabled).toBeUndefined();
    expect(described.RotationRules).toBeUndefined();
  });

  it('abandons a rotation in flight when a new current value is put by hand', async () => {
    const fn = await rotationFunction({ createSecret: 100 });
    const { name, arn } = await secret();
    const { VersionId: token } = await clients.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn }));
    await waitForEvent(arn, 'RotationFailed');
    const { VersionId: manual } = await clients.sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: '{"username":"app","password":"by-hand"}' }));
    await waitForEvent(arn, 'RotationAbandoned');
    const stages = (await clients.sm.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages!;
    expect(stages[manual!]).toEqual(['AWSCURRENT']);
    expect(stages[token!]).toBeUndefined();
  });

  it('with RotateImmediately=false stores the schedule and tests the configuration with testSecret only', async () => {
    const fn = await rotationFunction();
    const { name, initialVersion } = await secret();
    const out = await clients.sm.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotateImmediately: false, RotationRules: { ScheduleExpression: 'cron(0 4 ? * MON *)', Duration: '2h' } }),
    );
    expect(out.VersionId).toBeUndefined();
    expect(fn.calls).toEqual(['testSecret']);
    const described = await clients.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.VersionIdsToStages).toEqual({ [initialVersion]: ['AWSCURRENT'] });
    // next Monday 04:00-06:00 UTC: NextRotationDate is the last second of that window
    const next = described.NextRotationDate!;
    expect(next.getUTCDay()).toBe(1);
    expect(next.toISOString()).toMatch(/T05:59:59\.000Z$/);
  });

  it('starts a due rotation inside its window, not before', async () => {
    const fn = await rotationFunction();
    const { name, arn } = await secret();
    // Start half-way between two 4-hour slots, so the next window is well over a minute away.
    const start = Date.parse((await admin<{ now: string }>(cloud.url, '/_local/clock')).now);
    const slot = 4 * 3_600_000;
    await admin(cloud.url, '/_local/clock', { body: { to: new Date(Math.ceil(start / slot) * slot + slot / 2).toISOString() } });
    await clients.sm.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.arn, RotateImmediately: false, RotationRules: { ScheduleExpression: 'rate(4 hours)' } }),
    );
    const { secrets } = await admin<{ secrets: Array<{ arn: string; nextWindow: { start: string; end: string } }> }>(cloud.url, '/_local/rotations');
    const window = secrets.find((s) => s.arn === arn)!.nextWindow;
    const epochMs = Date.parse((await admin<{ now: string }>(cloud.url, '/_local/clock')).now);
    // one minute before the window: nothing
    await admin(cloud.url, '/_local/clock', { body: { advanceMs: Date.parse(window.start) - epochMs - 60_000 } });
    expect((await admin<{ started: string[] }>(cloud.url, '/_local/scheduler/tick?wait=true', { body: {} })).started).not.toContain(arn);
    // inside the window: the rotation runs
    await admin(cloud.url, '/_local/clock', { body: { advanceSeconds: 120 } });
    expect((await admin<{ started: string[] }>(cloud.url, '/_local/scheduler/tick?wait=true', { body: {} })).started).toContain(arn);
    expect(fn.calls).toEqual(['testSecret', 'createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    const described = await clients.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.LastRotatedDate!.getTime()).toBeGreaterThanOrEqual(Date.parse(window.start));
    expect(described.NextRotationDate!.getTime()).toBe(Date.parse(window.start) + 4 * 3_600_000 + 3_600_000 - 1000);
  });

  it('purges a secret when its recovery window ends on the cloud clock', async () => {
    const { name } = await secret();
    const { DeletionDate } = await clients.sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    const epochMs = Date.parse((await admin<{ now: string }>(cloud.url, '/_local/clock')).now);
    await admin(cloud.url, '/_local/clock', { body: { advanceMs: DeletionDate!.getTime() - epochMs + 1000 } });
    await admin(cloud.url, '/_local/scheduler/tick', { body: {} });
    await expect(clients.sm.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
