import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClients } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { startLocalStack, TOKENS, type LocalStack } from '../support/local-stack.ts';

// npm start killed with SIGKILL at spread points of real PostgreSQL rotations (and of an
// onboarding), then started again: no credential may be lost, and everything interrupted must
// finish within 60 s of the restart. Each Secrets Manager call is slowed a little so the kills land
// inside every step of the protocol, not only between rotations.
let stack: LocalStack;
const KILL_DELAYS_MS = [30, 100, 200, 300, 400, 500, 650, 800];
const figures = { kills: 0, lost: 0, worstRecoveryMs: 0, steps: new Map<string, number>() };

beforeAll(async () => {
  stack = await startLocalStack({ prefix: 'crash', env: { LOCAL_CLOUD_FAULTS: JSON.stringify({ 'secretsmanager:*': { latencyMs: 80 } }) } });
}, 180_000);

afterAll(async () => {
  if (process.env.CRASH_DEBUG) console.log(stack?.output());
  console.log(
    `crash test: ${figures.kills} kills, ${figures.lost} credentials lost, worst recovery ${figures.worstRecoveryMs} ms after the restart; ` +
      `steps interrupted: ${[...figures.steps].map(([step, n]) => `${step} ${n}`).join(', ')}`,
  );
  await stack?.stop();
});

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKENS.a}`, ...(body ? { 'content-type': 'application/json', 'idempotency-key': `crash-${Math.random().toString(36).slice(2, 12)}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

let roles = 0;
async function appSecret() {
  const adminCredential = JSON.parse(await readFile(join(stack.stateDir, 'demo-postgres', 'admin.json'), 'utf8')) as { username: string; password: string };
  const sm = awsClients(stack.cloudUrl).sm;
  const port = (JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'demo/postgres' }))).SecretString!) as { port: number }).port;
  const role = `crash_${process.pid}_${++roles}`;
  const password = `crash-pass-${roles}-${Math.random().toString(36).slice(2)}`;
  const client = new pg.Client({ host: '127.0.0.1', port, user: adminCredential.username, password: adminCredential.password, database: 'postgres' });
  await client.connect();
  await client.query(`CREATE ROLE ${role} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  await client.end();
  const name = `crash/${role}`;
  await sm.send(new CreateSecretCommand({ Name: name, Tags: [{ Key: 'rcp:team', Value: 'team-a' }], SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port, username: role, password, dbname: 'postgres', ssl: false }) }));
  return name;
}

/** Whether the secret's current value logs in: the one thing a rotation must never break. */
async function currentLogsIn(secretId: string): Promise<boolean> {
  const value = JSON.parse((await awsClients(stack.cloudUrl).sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!) as { port: number; username: string; password: string };
  const client = new pg.Client({ host: '127.0.0.1', port: value.port, user: value.username, password: value.password, database: 'postgres', connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** How far the rotation had got: the last step the rotator reported for this version, or that it had finished. */
async function lastStep(secretArn: string, token: string): Promise<string> {
  const { events } = (await (await fetch(`${stack.cloudUrl}/_local/events?bus=rcp-audit`)).json()) as {
    events: Array<{ 'detail-type': string; detail: { secretArn: string; rotationToken?: string; step: string } }>;
  };
  const last = events.filter((e) => e.detail.secretArn === secretArn && e.detail.rotationToken === token).at(-1);
  if (!last) return 'before createSecret';
  return last['detail-type'] === 'Rotation Succeeded' ? 'already finished' : `after ${last.detail.step}`;
}

describe('crash safety of npm start', () => {
  it('finishes every rotation cut off by SIGKILL within 60 s of the restart, and never loses a credential', async () => {
    const secrets: string[] = [];
    for (const _ of KILL_DELAYS_MS) {
      const secretId = await appSecret();
      const onboarded = await api('POST', '/v1/onboardings', { secretId, schedule: 'rate(30 days)', rotateImmediately: false });
      expect(onboarded.status).toBe(202);
      await eventually('onboarding', async () => ((await api('GET', `/v1/onboardings/${onboarded.body.onboardingId as string}`)).body.status === 'succeeded' ? true : undefined), 60_000, 200);
      secrets.push(secretId);
    }
    for (const [i, delay] of KILL_DELAYS_MS.entries()) {
      const secretId = secrets[i]!;
      const started = await api('POST', `/v1/secrets/${encodeURIComponent(secretId)}/rotations`);
      expect(started.status).toBe(202);
      const { secretArn, versionId } = started.body as { secretArn: string; versionId: string };
      await new Promise((r) => setTimeout(r, delay));
      // Read just before the kill: read after the restart, it would show where the resumed rotation got to.
      const interrupted = await lastStep(secretArn, versionId);
      await stack.kill();
      figures.kills += 1;
      figures.steps.set(interrupted, (figures.steps.get(interrupted) ?? 0) + 1);
      await stack.restart();
      const readyAt = Date.now();
      await eventually(
        `rotation ${versionId} of ${secretId} to finish after the restart`,
        async () => {
          const stages = (await awsClients(stack.cloudUrl).sm.send(new DescribeSecretCommand({ SecretId: secretArn }))).VersionIdsToStages ?? {};
          const done = stages[versionId]?.includes('AWSCURRENT') && !Object.values(stages).some((s) => s.includes('AWSPENDING'));
          return done ? true : undefined;
        },
        60_000,
        200,
      );
      figures.worstRecoveryMs = Math.max(figures.worstRecoveryMs, Date.now() - readyAt);
      if (!(await currentLogsIn(secretId))) figures.lost += 1;
    }
    expect(figures.lost).toBe(0);
    expect(figures.worstRecoveryMs).toBeLessThan(60_000);
  }, 900_000);

  it('finishes an onboarding cut off by SIGKILL after the restart, and the credential still works', async () => {
    const secretId = await appSecret();
    const started = await api('POST', '/v1/onboardings', { secretId, schedule: 'rate(30 days)' });
    expect(started.status).toBe(202);
    await new Promise((r) => setTimeout(r, 250));
    await stack.kill();
    figures.kills += 1;
    await stack.restart();
    const done = await eventually(
      'the onboarding to end after the restart',
      async () => {
        const { body } = await api('GET', `/v1/onboardings/${started.body.onboardingId as string}`);
        return ['succeeded', 'failed'].includes(body.status as string) ? body : undefined;
      },
      60_000,
      200,
    );
    expect(done.status).toBe('succeeded');
    expect(await currentLogsIn(secretId)).toBe(true);
  }, 300_000);
});
