import { randomUUID } from 'node:crypto';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnboardingRecords } from '../../services/onboarding/records.ts';
import type { OnboardingRequest } from '../../services/onboarding/state.ts';
import { admin } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { startPasswordPostgres, type PasswordPostgres } from '../support/password-postgres.ts';
import { FLEET_ROTATOR_ARN, startRotatorCloud, type RotatorCloud } from '../support/rotation-harness.ts';

// The onboarding workflow as the CDK app defines it, run by the local cloud's Step Functions: every
// Task a step function (its code in the cloud's process, its own role and policy), against the real
// fleet rotator and a real PostgreSQL. Started and watched through the real SDK, as the API does.
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:rcp-onboarding';
let db: PasswordPostgres;
let rc: RotatorCloud;
let sfn: SFNClient;
let records: OnboardingRecords;

beforeAll(async () => {
  [db, rc] = await Promise.all([startPasswordPostgres(), startRotatorCloud('onboarding')]);
  records = new OnboardingRecords(rc.clients.dynamodb, 'rcp-control-plane');
  sfn = new SFNClient({ endpoint: rc.cloud.url, region: 'us-east-1', credentials: { accessKeyId: '000000000000', secretAccessKey: 'local' } });
}, 120_000);

afterAll(async () => {
  await rc?.stop();
  await db?.stop();
});

const OWNED = [{ Key: 'rcp:team', Value: 'team-a' }];

let counter = 0;
async function appUser(password: string) {
  const name = `onb_${process.pid}_${++counter}`;
  const client = new pg.Client({ host: '127.0.0.1', port: db.port, user: db.admin.username, password: db.admin.password, database: 'postgres' });
  await client.connect();
  await client.query(`CREATE ROLE ${name} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  await client.end();
  return name;
}

async function onboard(request: OnboardingRequest) {
  const onboardingId = `onb-${randomUUID().replaceAll('-', '').slice(0, 24)}`;
  const now = new Date().toISOString();
  await records.create({ onboardingId, team: request.team!, secretId: request.secretId, status: 'pending', schedule: request.schedule, steps: [], createdAt: now, updatedAt: now });
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: onboardingId, input: JSON.stringify({ onboardingId, actor: 'team-a', request }) }));
  const execution = await eventually('the execution to end', async () => {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' ? undefined : out;
  }, 60_000, 100);
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  const entered = (history.events ?? []).filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
  return { onboardingId, result: { status: execution.status! }, entered, record: (await records.get(onboardingId))! };
}

describe('the onboarding workflow', () => {
  it('onboards a PostgreSQL secret end to end: rotation configured, first rotation done, password changed on the server', async () => {
    const user = await appUser('onboard-pass-1');
    const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: user, password: 'onboard-pass-1' }, OWNED, { managed: false });
    const { result, record, entered } = await onboard({ secretId: arn, schedule: 'rotate every 30 days', team: 'team-a' });
    expect(result.status).toBe('SUCCEEDED');
    // the wait for the first rotation is one callback, resumed by the rotation's own event: 10 states in all
    expect(entered).toEqual(['Validate', 'EnsureNetwork', 'Preflight', 'EnsureInvokePermission', 'TagSecret', 'ConfigureRotation', 'RotateImmediately', 'AwaitFirstRotation', 'RecordSuccess', 'Onboarded']);
    expect(record.status).toBe('succeeded');
    expect(record.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['Validate', 'EnsureNetwork', 'Preflight', 'EnsureInvokePermission', 'TagSecret', 'ConfigureRotation', 'AwaitFirstRotation', 'FirstRotation', 'RecordSuccess']),
    );
    const described = await rc.clients.sm.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described).toMatchObject({ RotationEnabled: true, RotationLambdaARN: FLEET_ROTATOR_ARN, RotationRules: { ScheduleExpression: 'rate(30 days)' } });
    expect(described.Tags).toEqual(expect.arrayContaining([{ Key: 'rcp:managed', Value: 'true' }, { Key: 'rcp:team', Value: 'team-a' }]));
    const password = (await rc.value(arn)).password as string;
    expect(password).not.toBe('onboard-pass-1');
    const client = new pg.Client({ host: '127.0.0.1', port: db.port, user, password, database: 'postgres' });
    await client.connect();
    await client.end();
    const { events } = await admin<{ events: Array<{ 'detail-type': string; detail: { onboardingId?: string } }> }>(rc.cloud.url, '/_local/events?bus=rcp-audit');
    expect(events.filter((e) => e.detail.onboardingId === record.onboardingId).map((e) => e['detail-type'])).toContain('Onboarding Succeeded');
  });

  it('fails at preflight with the reason when the host is unreachable, and leaves the secret exactly as it was', async () => {
    const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: 1, username: 'nobody', password: 'unreachable-pass' }, [{ Key: 'owner', Value: 'x' }, ...OWNED], { managed: false });
    const before = await rc.clients.sm.send(new DescribeSecretCommand({ SecretId: arn }));
    const { result, record } = await onboard({ secretId: arn, schedule: 'rate(10 days)', team: 'team-a' });
    expect(result.status).toBe('FAILED');
    expect(record.status).toBe('failed');
    expect(record.failure).toMatchObject({ step: 'Preflight', errorClass: 'Preflight.HostUnreachable' });
    expect(record.failure!.reason).toContain('host unreachable');
    const after = await rc.clients.sm.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(after.RotationEnabled).toBeUndefined();
    expect(after.Tags).toEqual(before.Tags);
    expect(after.VersionIdsToStages).toEqual(before.VersionIdsToStages);
  });

  it('compensates when the first rotation fails: rotation cancelled, tags removed, the value untouched', async () => {
    const user = await appUser('comp-pass-1');
    // Preflight passes (both logins work), but its "admin" may not create roles: the first
    // rotation fails at setSecret, after rotation was configured and tags were set.
    const { arn: masterArn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: user, password: 'comp-pass-1' }, [...OWNED, { Key: 'rcp:admin-credential', Value: 'true' }], { managed: false });
    const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: user, password: 'comp-pass-1', masterarn: masterArn }, OWNED, { managed: false });
    const before = await rc.clients.sm.send(new DescribeSecretCommand({ SecretId: arn }));
    const { result, record } = await onboard({ secretId: arn, schedule: 'rate(10 days)', team: 'team-a', strategy: 'alternating-users' });
    expect(result.status).toBe('FAILED');
    expect(record.failure).toMatchObject({ step: 'FirstRotation', errorClass: 'FirstRotationFailed' });
    // the real cause, from the rotator: its admin may not create the alternate user
    expect(record.failure!.reason).toMatch(/failed at setSecret: PermissionDenied/);
    const after = await rc.clients.sm.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(after.RotationEnabled).toBe(false);
    expect(after.Tags ?? []).toEqual(before.Tags ?? []);
    expect(Object.values(after.VersionIdsToStages!).filter((s) => s.includes('AWSPENDING'))).toEqual([]);
    expect((await rc.value(arn)).password).toBe('comp-pass-1');
  });

  it("refuses a secret that is not the team's (no rcp:team tag, or another team's), changing nothing", async () => {
    for (const tags of [[], [{ Key: 'rcp:team', Value: 'team-b' }]]) {
      const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: 'x', password: 'y' }, tags, { managed: false });
      const { result, record } = await onboard({ secretId: arn, schedule: 'rate(10 days)', team: 'team-a' });
      expect(result.status).toBe('FAILED');
      // one answer for another team's secret, an unclaimed one and one that does not exist
      expect(record.failure).toMatchObject({ step: 'Validate', errorClass: 'SecretNotFound' });
      const after = await rc.clients.sm.send(new DescribeSecretCommand({ SecretId: arn }));
      expect(after.Tags ?? []).toEqual(tags);
    }
  });

  it('rejects a bad schedule before touching anything', async () => {
    const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: 'x', password: 'y' }, OWNED, { managed: false });
    const { result, record } = await onboard({ secretId: arn, schedule: 'rate(0 days)', team: 'team-a' });
    expect(result.status).toBe('FAILED');
    expect(record.failure).toMatchObject({ step: 'Validate', errorClass: 'InvalidSchedule' });
  });
});
