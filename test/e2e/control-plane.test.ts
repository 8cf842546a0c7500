import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { OpenAPIBackend } from 'openapi-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/password-postgres.ts';
import { loadContract } from '../../services/api/app.ts';
import { awsClients } from '../support/aws-clients.ts';
import { PROJECT_ROOT, tempStateDir } from '../support/cloud-process.ts';
import { eventually } from '../support/eventually.ts';

// `npm start`'s whole stack in its own process; everything below goes over HTTP, as a user's would.
let stack: ChildProcess;
let output = '';
let apiUrl: string;
let cloudUrl: string;
const TOKENS = { a: 'token-of-team-a-0001', b: 'token-of-team-b-0002' };
const OWNED = [{ Key: 'rcp:team', Value: 'team-a' }];
const contract = new OpenAPIBackend({ definition: loadContract(), quick: true });
const run = promisify(execFile);

beforeAll(async () => {
  const [cloudPort, apiPort, demoPort] = [await freePort(), await freePort(), await freePort()];
  const stateDir = await tempStateDir('e2e');
  await chmod(stateDir, 0o711); // the demo PostgreSQL runs as the postgres user inside it
  stack = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'infra/local/start.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      LOCAL_CLOUD_DIR: stateDir,
      LOCAL_CLOUD_PORT: String(cloudPort),
      PORT: String(apiPort),
      DEMO_POSTGRES_PORT: String(demoPort),
      RCP_TOKENS: `team-a:${TOKENS.a},team-b:${TOKENS.b}`,
      ROTATOR_CONNECT_TIMEOUT_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  stack.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await eventually(
    'npm start to be ready',
    async () => {
      if (stack.exitCode !== null) throw new Error(`npm start exited with ${stack.exitCode}:\n${output}`);
      return /^ready$/m.test(output) ? true : undefined;
    },
    90_000,
    200,
  );
  apiUrl = `http://127.0.0.1:${apiPort}`;
  cloudUrl = `http://127.0.0.1:${cloudPort}`;
  await contract.init();
}, 120_000);

afterAll(async () => {
  if (stack && stack.exitCode === null) {
    stack.kill('SIGTERM');
    await new Promise((resolve) => stack.once('exit', resolve));
  }
});

interface Reply {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

/** One API call; the response must match openapi.yaml for its operation and status. */
async function call(operationId: string, method: string, path: string, options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined || options.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const body = (await response.json()) as Record<string, unknown>;
  const type = response.headers.get('content-type') ?? '';
  if (response.status >= 400) expect(type).toBe('application/problem+json');
  const validation = contract.validateResponse(body, operationId, response.status);
  expect(validation.errors ?? [], `${method} ${path} ${response.status} ${JSON.stringify(body)}`).toEqual([]);
  return { status: response.status, type, body };
}

const onboard = (token: string, body: Record<string, unknown>, key = `key-${Math.random().toString(36).slice(2, 12)}`) =>
  call('createOnboarding', 'POST', '/v1/onboardings', { token, body, headers: { 'idempotency-key': key } });

async function finished(token: string, onboardingId: string) {
  return eventually(
    `onboarding ${onboardingId} to finish`,
    async () => {
      const { body } = await call('getOnboarding', 'GET', `/v1/onboardings/${onboardingId}`, { token });
      return ['succeeded', 'failed'].includes(body.status as string) ? body : undefined;
    },
    60_000,
    200,
  );
}

describe('the control plane over HTTP', () => {
  it('rotctl onboards the demo secret, showing each step, and the password really changed on the server', async () => {
    const sm = awsClients(cloudUrl).sm;
    const before = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'demo/postgres' }))).SecretString!) as Record<string, string>;
    const { stdout } = await run(process.execPath, [join(PROJECT_ROOT, 'bin/rotctl.js'), 'onboard', '--secret', 'demo/postgres', '--schedule', 'rotate every 30 days', '--team', 'team-a'], {
      env: { ...process.env, RCP_API_URL: apiUrl, RCP_TOKEN: TOKENS.a },
    });
    for (const step of ['Validate', 'EnsureNetwork', 'Preflight', 'EnsureInvokePermission', 'TagSecret', 'ConfigureRotation', 'CheckFirstRotation', 'RecordSuccess']) {
      expect(stdout).toContain(`✔ ${step}`);
    }
    expect(stdout).toContain('onboarded:');
    const after = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'demo/postgres' }))).SecretString!) as Record<string, string>;
    expect(after.password).not.toBe(before.password);
    const login = async (password: string) => {
      const client = new pg.Client({ host: '127.0.0.1', port: Number(after.port), user: after.username, password, database: 'postgres' });
      try {
        await client.connect();
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    expect(await login(after.password!)).toBe(true);
    expect(await login(before.password!)).toBe(false);

    const rotation = await call('getRotation', 'GET', `/v1/secrets/${encodeURIComponent('demo/postgres')}/rotation`, { token: TOKENS.a });
    expect(rotation.body).toMatchObject({ enabled: true, rules: { ScheduleExpression: 'rate(30 days)' } });
    expect(output).not.toContain(before.password);
    expect(output).not.toContain(after.password);
  });

  it('fails at preflight with the reason when the host is unreachable, leaving the secret exactly as it was', async () => {
    const sm = awsClients(cloudUrl).sm;
    await sm.send(
      new CreateSecretCommand({ Name: 'e2e/unreachable', Tags: OWNED, SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port: 1, username: 'u', password: 'unreachable-canary' }) }),
    );
    const before = await sm.send(new DescribeSecretCommand({ SecretId: 'e2e/unreachable' }));
    const { status, body } = await onboard(TOKENS.a, { secretId: 'e2e/unreachable', schedule: 'rate(7 days)', team: 'team-a' });
    expect(status).toBe(202);
    const done = await finished(TOKENS.a, body.onboardingId as string);
    expect(done.status).toBe('failed');
    expect(done.failure).toMatchObject({ step: 'Preflight' });
    expect((done.failure as { reason: string }).reason).toContain('host unreachable');
    const after = await sm.send(new DescribeSecretCommand({ SecretId: 'e2e/unreachable' }));
    expect(after.RotationEnabled).toBeUndefined();
    expect(after.Tags).toEqual(before.Tags);
    expect(after.VersionIdsToStages).toEqual(before.VersionIdsToStages);

    // rotctl says why and exits non-zero
    await expect(
      run(process.execPath, [join(PROJECT_ROOT, 'bin/rotctl.js'), 'onboard', '--secret', 'e2e/unreachable', '--schedule', 'rate(7 days)', '--team', 'team-a'], {
        env: { ...process.env, RCP_API_URL: apiUrl, RCP_TOKEN: TOKENS.a },
      }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('onboarding failed at Preflight') });
    expect(output).not.toContain('unreachable-canary');
  });

  it('starts one onboarding for the same Idempotency-Key sent twice', async () => {
    const sm = awsClients(cloudUrl).sm;
    await sm.send(new CreateSecretCommand({ Name: 'e2e/idempotent', Tags: OWNED, SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port: 1, username: 'u', password: 'p' }) }));
    const body = { secretId: 'e2e/idempotent', schedule: 'rate(7 days)', team: 'team-a' };
    const first = await onboard(TOKENS.a, body, 'same-key-123456');
    const second = await onboard(TOKENS.a, body, 'same-key-123456');
    expect(second.status).toBe(202);
    expect(second.body.onboardingId).toBe(first.body.onboardingId);
    const reused = await onboard(TOKENS.a, { ...body, schedule: 'rate(8 days)' }, 'same-key-123456');
    expect(reused.status).toBe(422);
    const list = await call('listOnboardings', 'GET', '/v1/onboardings?limit=100', { token: TOKENS.a });
    const forSecret = (list.body.items as Array<{ secretArn: string }>).filter((o) => o.secretArn.includes('e2e/idempotent'));
    expect(forSecret).toHaveLength(1);
  });

  it("refuses another team's token", async () => {
    const list = await call('listOnboardings', 'GET', '/v1/onboardings', { token: TOKENS.a });
    const id = (list.body.items as Array<{ onboardingId: string }>)[0]!.onboardingId;
    expect((await call('getOnboarding', 'GET', `/v1/onboardings/${id}`, { token: TOKENS.b })).status).toBe(404);
    expect((await onboard(TOKENS.b, { secretId: 'demo/postgres', schedule: 'rate(7 days)', team: 'team-a' })).status).toBe(403);
    expect((await onboard(TOKENS.b, { secretId: 'demo/postgres', schedule: 'rate(7 days)', team: 'team-b' })).status).toBe(404);
    expect((await call('rotateNow', 'POST', `/v1/secrets/${encodeURIComponent('demo/postgres')}/rotations`, { token: TOKENS.b })).status).toBe(404);
    expect((await call('listOnboardings', 'GET', '/v1/onboardings', { token: 'not-a-token' })).status).toBe(401);
    // a secret no team has tagged as its own cannot be claimed by anyone
    await awsClients(cloudUrl).sm.send(new CreateSecretCommand({ Name: 'e2e/unowned', SecretString: '{"engine":"postgres","host":"h","username":"u","password":"p"}' }));
    const unowned = await onboard(TOKENS.b, { secretId: 'e2e/unowned', schedule: 'rate(7 days)', team: 'team-b' });
    expect(unowned.status).toBe(403);
    expect(unowned.body.detail).toContain('rcp:team=team-b');
    expect((await call('listOnboardings', 'GET', '/v1/onboardings')).status).toBe(401);
  });

  it.each([
    ['a malformed body', { raw: '{"secretId": ' }, 400, 'malformed-json'],
    ['a body of the wrong shape', { body: { secretId: 42, schedule: 'rate(7 days)', team: 'team-a', extra: 1 } }, 400, 'invalid-request'],
    ['an unknown secret', { body: { secretId: 'no/such/secret', schedule: 'rate(7 days)', team: 'team-a' } }, 404, 'secret-not-found'],
    ['rate(0 days)', { body: { secretId: 'demo/postgres', schedule: 'rate(0 days)', team: 'team-a' } }, 400, 'invalid-schedule'],
    ['an invalid cron', { body: { secretId: 'demo/postgres', schedule: 'cron(0 25 * * ? *)', team: 'team-a' } }, 400, 'invalid-schedule'],
    ['a window longer than the interval', { body: { secretId: 'demo/postgres', schedule: 'rate(4 hours)', window: '5h', team: 'team-a' } }, 400, 'invalid-schedule'],
  ])('answers %s with a %s problem that says what to fix', async (_label, request, status, slug) => {
    const reply = await call('createOnboarding', 'POST', '/v1/onboardings', { token: TOKENS.a, ...request, headers: { 'idempotency-key': `bad-${Math.random().toString(36).slice(2)}` } });
    expect(reply.status).toBe(status);
    expect(reply.body.type).toMatch(new RegExp(`/${slug}$`));
    expect(String(reply.body.detail).length).toBeGreaterThan(10);
  });

  it('lists service types and offboards: rotation cancelled, tags removed', async () => {
    const types = await call('listServiceTypes', 'GET', '/v1/service-types', { token: TOKENS.a });
    expect((types.body.items as Array<{ name: string }>).map((t) => t.name)).toEqual(['postgres', 'mysql', 'redis', 'rabbitmq', 'http']);
    const list = await call('listOnboardings', 'GET', '/v1/onboardings?status=succeeded', { token: TOKENS.a });
    const demo = (list.body.items as Array<{ onboardingId: string; secretArn: string }>).find((o) => o.secretArn.includes('demo/postgres'))!;
    const off = await call('offboard', 'DELETE', `/v1/onboardings/${demo.onboardingId}`, { token: TOKENS.a });
    expect(off.body.status).toBe('offboarded');
    const described = await awsClients(cloudUrl).sm.send(new DescribeSecretCommand({ SecretId: 'demo/postgres' }));
    expect(described.RotationEnabled).toBe(false);
    // only the owner's own tag stays
    expect((described.Tags ?? []).filter((t) => t.Key!.startsWith('rcp:'))).toEqual([{ Key: 'rcp:team', Value: 'team-a' }]);
    const { events } = (await (await fetch(`${cloudUrl}/_local/events?bus=rcp-audit`)).json()) as { events: Array<{ 'detail-type': string }> };
    expect(events.map((e) => e['detail-type'])).toEqual(expect.arrayContaining(['Onboarding Requested', 'Onboarding Succeeded', 'Onboarding Failed', 'Offboarded']));
  });
});
