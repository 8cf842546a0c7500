import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../../support/aws-clients.ts';
import { eventually } from '../../support/eventually.ts';
import { FLEET_ROTATOR_ARN, startRotatorCloud, type RotatorCloud } from '../../support/rotation-harness.ts';

// Many secrets fall due at the same moment while the local cloud enforces Secrets Manager's quota
// of 50 writes per second: the rotator waits its turn and sends refused writes again, so every
// rotation succeeds and no step is reported failed. (The full-size figure is in `npm run bench`.)
const SECRETS = 90;
let rc: RotatorCloud;
const users: string[] = [];
const redis = createClient({ socket: { host: '127.0.0.1', port: 6379 } });

beforeAll(async () => {
  rc = await startRotatorCloud('burst', { LOCAL_CLOUD_SCHEDULER_MS: '200' });
  await redis.connect();
}, 120_000);

afterAll(async () => {
  for (const user of users) await redis.sendCommand(['ACL', 'DELUSER', user]).catch(() => undefined);
  await redis.close().catch(() => undefined);
  await rc?.stop();
});

describe('a burst of rotations at the write quota', () => {
  it('rotates every secret due in the same window: throttled writes wait and go again, no rotation or step fails', async () => {
    const arns: string[] = [];
    for (let i = 0; i < SECRETS; i++) {
      const user = `burst-${process.pid}-${i}`;
      users.push(user);
      await redis.sendCommand(['ACL', 'SETUSER', user, 'on', `>initial-${i}`, '~burst:*', '+@all']);
      const { arn } = await rc.createSecret({ engine: 'redis', host: '127.0.0.1', port: 6379, username: user, password: `initial-${i}`, ssl: false });
      await rc.clients.sm.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: FLEET_ROTATOR_ARN, RotateImmediately: false, RotationRules: { AutomaticallyAfterDays: 1 } }));
      arns.push(arn);
    }
    await admin(rc.cloud.url, '/_local/faults', { method: 'PUT', body: { 'secretsmanager:*': { throttle: true } } });
    await admin(rc.cloud.url, '/_local/calls', { method: 'DELETE' });
    // Every window opens at the same midnight.
    await admin(rc.cloud.url, '/_local/clock', { body: { advanceSeconds: 2 * 86_400 } });

    const outcomes = await eventually(
      'every rotation of the burst to end',
      async () => {
        const { events } = await admin<{ events: Array<{ detail: { eventName: string; additionalEventData: { SecretId: string } } }> }>(rc.cloud.url, '/_local/events?source=aws.secretsmanager');
        const ended = new Map(events.filter((e) => /^Rotation(Succeeded|Failed)$/.test(e.detail.eventName)).map((e) => [e.detail.additionalEventData.SecretId, e.detail.eventName]));
        return arns.every((arn) => ended.has(arn)) ? ended : undefined;
      },
      90_000,
      500,
    );
    expect(arns.map((arn) => outcomes.get(arn))).toEqual(arns.map(() => 'RotationSucceeded'));
    const audit = await admin<{ events: Array<{ 'detail-type': string }> }>(rc.cloud.url, '/_local/events?bus=rcp-audit');
    expect(audit.events.filter((e) => e['detail-type'] === 'Rotation Step Failed' || e['detail-type'] === 'Rotation Failed')).toEqual([]);
    // Two writes a rotation went through (a refused one is sent again, and counted again).
    const calls = await admin<Record<string, number>>(rc.cloud.url, '/_local/calls');
    expect(calls['secretsmanager:PutSecretValue']).toBeGreaterThanOrEqual(SECRETS);
    expect(calls['secretsmanager:UpdateSecretVersionStage']).toBeGreaterThanOrEqual(SECRETS);
    for (const [i, arn] of arns.slice(0, 3).entries()) expect((await rc.value(arn)).password).not.toBe(`initial-${i}`);
  }, 180_000);
});
