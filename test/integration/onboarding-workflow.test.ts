import { randomUUID } from 'node:crypto';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import { OnboardingRecords } from '../../services/onboarding/records.ts';
import { RotationStatusStore } from '../../shared/rotation-status/rotation-status-store.ts';
import type { OnboardingDeps } from '../../services/onboarding/deps.ts';
import type { OnboardingRequest } from '../../services/onboarding/state.ts';
import { LocalWorkflowRunner, synthesizedWorkflowDefinition } from '../../infra/local/workflow-runner.ts';
import { admin } from '../support/aws-clients.ts';
import { startPasswordPostgres, type PasswordPostgres } from '../support/password-postgres.ts';
import { FLEET_ROTATOR_ARN, startRotatorCloud, type RotatorCloud } from '../support/rotation-harness.ts';

// The onboarding workflow as `npm start` runs it: the ASL the CDK app synthesises, every Task
// running its step's code, against the local cloud, the real fleet rotator and a real PostgreSQL.
let db: PasswordPostgres;
let rc: RotatorCloud;
let runner: LocalWorkflowRunner;
let records: OnboardingRecords;

beforeAll(async () => {
  [db, rc] = await Promise.all([startPasswordPostgres(), startRotatorCloud('onboarding')]);
  records = new OnboardingRecords(rc.clients.dynamodb);
  const deps: OnboardingDeps = {
    sm: rc.clients.sm,
    lambda: rc.clients.lambda,
    records,
    rotationStatus: new RotationStatusStore(rc.clients.dynamodb),
    audit: new EventBridgeAuditSink(rc.clients.events, 'rcp-audit', (reason) => {
      throw new Error(reason);
    }),
    account: '000000000000',
    region: 'us-east-1',
    rotatorArn: FLEET_ROTATOR_ARN,
    placements: {},
    firstRotationMaxChecks: 30,
    now: () => Date.now(),
  };
  runner = new LocalWorkflowRunner(synthesizedWorkflowDefinition(), deps, { pollMs: 100, retryMs: 50 });
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
  await records.create({ onboardingId, team: request.team, secretId: request.secretId, status: 'pending', schedule: request.schedule, steps: [], createdAt: now, updatedAt: now });
  const execution = runner.start({ onboardingId, actor: 'team-a', request });
  const result = await execution.result;
  return { onboardingId, result, record: (await records.get(onboardingId))! };
}

describe('the onboarding workflow', () => {
  it('onboards a PostgreSQL secret end to end: rotation configured, first rotation done, password changed on the server', async () => {
    const user = await appUser('onboard-pass-1');
    const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: user, password: 'onboard-pass-1' }, OWNED);
    const { result, record } = await onboard({ secretId: arn, schedule: 'rotate every 30 days', team: 'team-a' });
    expect(result.status).toBe('SUCCEEDED');
    expect(record.status).toBe('succeeded');
    expect(record.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['Validate', 'EnsureNetwork', 'Preflight', 'EnsureInvokePermission', 'TagSecret', 'ConfigureRotation', 'CheckFirstRotation', 'RecordSuccess']),
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
    const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: 1, username: 'nobody', password: 'unreachable-pass' }, [{ Key: 'owner', Value: 'x' }, ...OWNED]);
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
    const { arn: masterArn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: user, password: 'comp-pass-1' });
    const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: user, password: 'comp-pass-1', masterarn: masterArn }, OWNED);
    const before = await rc.clients.sm.send(new DescribeSecretCommand({ SecretId: arn }));
    const { result, record } = await onboard({ secretId: arn, schedule: 'rate(10 days)', team: 'team-a', strategy: 'alternating-users' });
    expect(result.status).toBe('FAILED');
    expect(record.failure).toMatchObject({ step: 'CheckFirstRotation', errorClass: 'FirstRotationFailed' });
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
      const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: 'x', password: 'y' }, tags);
      const { result, record } = await onboard({ secretId: arn, schedule: 'rate(10 days)', team: 'team-a' });
      expect(result.status).toBe('FAILED');
      expect(record.failure).toMatchObject({ step: 'Validate', errorClass: 'NotOwned' });
      const after = await rc.clients.sm.send(new DescribeSecretCommand({ SecretId: arn }));
      expect(after.Tags ?? []).toEqual(tags);
    }
  });

  it('rejects a bad schedule before touching anything', async () => {
    const { arn } = await rc.createSecret({ engine: 'postgres', host: '127.0.0.1', port: db.port, username: 'x', password: 'y' }, OWNED);
    const { result, record } = await onboard({ secretId: arn, schedule: 'rate(0 days)', team: 'team-a' });
    expect(result.status).toBe('FAILED');
    expect(record.failure).toMatchObject({ step: 'Validate', errorClass: 'InvalidSchedule' });
  });
});
