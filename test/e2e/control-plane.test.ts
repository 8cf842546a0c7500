import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { OpenAPIBackend } from 'openapi-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../services/api/app.ts';
import { RESOURCES } from '../../shared/names.ts';
import { awsClients } from '../support/aws-clients.ts';
import { PROJECT_ROOT } from '../support/cloud-process.ts';
import { startLocalStack, TOKENS, type LocalStack } from '../support/local-stack.ts';
import { eventually } from '../support/eventually.ts';

// `npm start`'s whole stack in its own process; everything below goes over HTTP, as a user's would.
let stack: LocalStack;
let apiUrl: string;
let cloudUrl: string;
let stateDir: string;
let hung: Server;
let hungPort: number;
const output = () => stack.output();
const OWNED = [{ Key: 'rcp:team', Value: 'team-a' }];
const contract = new OpenAPIBackend({ definition: loadContract(), quick: true });
const run = promisify(execFile);

beforeAll(async () => {
  hung = createServer(() => undefined); // accepts connections, never answers
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', () => resolve()));
  hungPort = (hung.address() as { port: number }).port;
  stack = await startLocalStack({ prefix: 'e2e' });
  ({ apiUrl, cloudUrl, stateDir } = stack);
  await contract.init();
}, 120_000);

afterAll(async () => {
  hung?.close();
  await stack?.stop();
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

let roles = 0;
/** A login of its own on the demo PostgreSQL and its secret, owned by team-a: each test onboards what it made. */
async function appSecret(name: string) {
  const admin = JSON.parse(await readFile(join(stateDir, 'demo-postgres', 'admin.json'), 'utf8')) as { username: string; password: string };
  const demo = JSON.parse((await awsClients(cloudUrl).sm.send(new GetSecretValueCommand({ SecretId: 'demo/postgres' }))).SecretString!) as { port: number };
  const role = `e2e_${process.pid}_${++roles}`;
  const password = `e2e-pass-${roles}-${Math.random().toString(36).slice(2)}`;
  const client = new pg.Client({ host: '127.0.0.1', port: demo.port, user: admin.username, password: admin.password, database: 'postgres' });
  await client.connect();
  await client.query(`CREATE ROLE ${role} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  await client.end();
  const secretId = `e2e/${name}`;
  await awsClients(cloudUrl).sm.send(
    new CreateSecretCommand({ Name: secretId, Tags: OWNED, SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port: demo.port, username: role, password, dbname: 'postgres' }) }),
  );
  return { secretId, role, password, port: demo.port };
}

describe('the control plane over HTTP', () => {
  it('rotctl onboards the demo secret, showing each step, and the password really changed on the server', async () => {
    const sm = awsClients(cloudUrl).sm;
    const before = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'demo/postgres' }))).SecretString!) as Record<string, string>;
    const { stdout } = await run(process.execPath, [join(PROJECT_ROOT, 'bin/rotctl.js'), 'onboard', '--secret', 'demo/postgres', '--schedule', 'rotate every 30 days', '--team', 'team-a'], {
      env: { ...process.env, RCP_API_URL: apiUrl, RCP_TOKEN: TOKENS.a },
    });
    for (const step of ['Validate', 'EnsureNetwork', 'Preflight', 'EnsureInvokePermission', 'TagSecret', 'ConfigureRotation', 'AwaitFirstRotation', 'FirstRotation', 'RecordSuccess']) {
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

    // the rotator's metrics, as CloudWatch would have them, at the local API
    const { metrics } = (await (await fetch(`${apiUrl}/_local/metrics`)).json()) as { metrics: Array<{ name: string; dimensions: Record<string, string>; count: number }> };
    expect(metrics.find((m) => m.name === 'RotationSucceeded' && m.dimensions.engine === 'postgres')?.count).toBeGreaterThanOrEqual(1);
    expect(metrics.some((m) => m.name === 'RotationStepLatency' && m.dimensions.step === 'setSecret')).toBe(true);
    const rotation = await call('getRotation', 'GET', `/v1/secrets/${encodeURIComponent('demo/postgres')}/rotation`, { token: TOKENS.a });
    expect(rotation.body).toMatchObject({ enabled: true, rules: { ScheduleExpression: 'rate(30 days)' } });
    expect(output()).not.toContain(before.password);
    expect(output()).not.toContain(after.password);
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
    expect(output()).not.toContain('unreachable-canary');
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

  it('gives the same onboarding back to a request sent again after an attempt that died before answering', async () => {
    const sm = awsClients(cloudUrl).sm;
    // A host that never answers keeps the onboarding running (in Preflight) while the test looks.
    await sm.send(new CreateSecretCommand({ Name: 'e2e/retried', Tags: OWNED, SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port: hungPort, username: 'u', password: 'p' }) }));
    const body = { secretId: 'e2e/retried', schedule: 'rate(7 days)' };
    const first = await onboard(TOKENS.a, body, 'retried-key-123456');
    expect(first.status).toBe(202);
    // A Lambda timeout takes its in-progress idempotency record with it: what is left is the onboarding.
    const dynamodb = awsClients(cloudUrl).dynamodb;
    const records = await dynamodb.send(new ScanCommand({ TableName: RESOURCES.apiIdempotencyTable }));
    for (const item of records.Items ?? []) await dynamodb.send(new DeleteItemCommand({ TableName: RESOURCES.apiIdempotencyTable, Key: { id: item.id! } }));
    const again = await onboard(TOKENS.a, body, 'retried-key-123456');
    expect(again.status).toBe(202);
    expect(again.body.onboardingId).toBe(first.body.onboardingId);
    // another key is another request: the secret is taken
    const other = await onboard(TOKENS.a, body, 'another-key-123456');
    expect(other.status).toBe(409);
    expect(other.body.detail).toContain(first.body.onboardingId as string);
    expect((await call('offboard', 'DELETE', `/v1/onboardings/${first.body.onboardingId as string}`, { token: TOKENS.a })).status).toBe(202);
  });

  it("refuses another team's token", async () => {
    const { secretId } = await appSecret('other-team');
    const mine = await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)', rotateImmediately: false });
    const id = mine.body.onboardingId as string;
    expect((await call('getOnboarding', 'GET', `/v1/onboardings/${id}`, { token: TOKENS.b })).status).toBe(404);
    expect((await onboard(TOKENS.b, { secretId: 'demo/postgres', schedule: 'rate(7 days)', team: 'team-a' })).status).toBe(403);
    expect((await onboard(TOKENS.b, { secretId: 'demo/postgres', schedule: 'rate(7 days)', team: 'team-b' })).status).toBe(404);
    expect((await call('rotateNow', 'POST', `/v1/secrets/${encodeURIComponent('demo/postgres')}/rotations`, { token: TOKENS.b })).status).toBe(404);
    expect((await call('listOnboardings', 'GET', '/v1/onboardings', { token: 'not-a-token' })).status).toBe(401);
    // a secret no team has tagged as its own cannot be claimed by anyone
    await awsClients(cloudUrl).sm.send(new CreateSecretCommand({ Name: 'e2e/unowned', SecretString: '{"engine":"postgres","host":"h","username":"u","password":"p"}' }));
    // (answered exactly as a secret that does not exist, with what to check)
    const unowned = await onboard(TOKENS.b, { secretId: 'e2e/unowned', schedule: 'rate(7 days)', team: 'team-b' });
    const missing = await onboard(TOKENS.b, { secretId: 'e2e/no-such-secret', schedule: 'rate(7 days)', team: 'team-b' });
    expect(unowned.status).toBe(404);
    expect(unowned.body.detail).toContain('rcp:team=team-b');
    expect(String(unowned.body.detail).replace('e2e/unowned', 'X')).toBe(String(missing.body.detail).replace('e2e/no-such-secret', 'X'));
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
    const { secretId } = await appSecret('offboard');
    const done = await finished(TOKENS.a, (await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)' })).body.onboardingId as string);
    expect(done.status).toBe('succeeded');
    // a second onboarding of the same secret is refused, naming the one that holds it
    const again = await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(done.onboardingId as string);
    const off = await call('offboard', 'DELETE', `/v1/onboardings/${done.onboardingId as string}`, { token: TOKENS.a });
    expect(off.body.status).toBe('offboarded');
    const described = await awsClients(cloudUrl).sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    expect(described.RotationEnabled).toBe(false);
    // only the owner's own tag stays
    expect((described.Tags ?? []).filter((t) => t.Key!.startsWith('rcp:'))).toEqual([{ Key: 'rcp:team', Value: 'team-a' }]);
    const { events } = (await (await fetch(`${cloudUrl}/_local/events?bus=rcp-audit`)).json()) as { events: Array<{ 'detail-type': string }> };
    expect(events.map((e) => e['detail-type'])).toEqual(expect.arrayContaining(['Onboarding Requested', 'Onboarding Succeeded', 'Onboarding Failed', 'Offboarded']));
  });

  it('without an immediate rotation, configures rotation and succeeds without changing the credential', async () => {
    const { secretId, password } = await appSecret('later');
    const done = await finished(TOKENS.a, (await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)', rotateImmediately: false })).body.onboardingId as string);
    expect(done.status).toBe('succeeded');
    expect((done.steps as Array<{ step: string }>).map((s) => s.step)).not.toContain('AwaitFirstRotation');
    const sm = awsClients(cloudUrl).sm;
    expect((await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).RotationEnabled).toBe(true);
    expect(JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!).password).toBe(password);
  });

  it('shows why a rotation is failing, and rotate-now says that waiting will not help', async () => {
    const { secretId, role, port } = await appSecret('failing');
    const done = await finished(TOKENS.a, (await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)', rotateImmediately: false })).body.onboardingId as string);
    expect(done.status).toBe('succeeded');
    // Someone changes the password behind the secret's back: the stored credential no longer logs in.
    const admin = JSON.parse(await readFile(join(stateDir, 'demo-postgres', 'admin.json'), 'utf8')) as { username: string; password: string };
    const client = new pg.Client({ host: '127.0.0.1', port, user: admin.username, password: admin.password, database: 'postgres' });
    await client.connect();
    await client.query(`ALTER ROLE ${role} WITH PASSWORD ${client.escapeLiteral('changed-elsewhere-canary')}`);
    await client.end();
    expect((await call('rotateNow', 'POST', `/v1/secrets/${encodeURIComponent(secretId)}/rotations`, { token: TOKENS.a })).status).toBe(202);
    const state = await eventually(
      'the rotation failure to be reported',
      async () => {
        const { body } = await call('getRotation', 'GET', `/v1/secrets/${encodeURIComponent(secretId)}/rotation`, { token: TOKENS.a });
        return body.lastFailure ? body : undefined;
      },
      30_000,
      200,
    );
    expect(state.lastFailure).toMatchObject({ step: expect.any(String), errorClass: 'AuthenticationFailed', reason: expect.any(String) });
    expect(JSON.stringify(state)).not.toContain('changed-elsewhere-canary');
    const again = await call('rotateNow', 'POST', `/v1/secrets/${encodeURIComponent(secretId)}/rotations`, { token: TOKENS.a });
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/\/rotation-failing$/);
    expect(again.body.detail).toMatch(/waiting will not help/);
  });

  it('fails at EnsureNetwork when no rotator is placed in the requested VPC, changing nothing', async () => {
    const { secretId } = await appSecret('vpc');
    const before = await awsClients(cloudUrl).sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const network = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] };
    const done = await finished(TOKENS.a, (await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)', network })).body.onboardingId as string);
    expect(done.status).toBe('failed');
    expect(done.failure).toMatchObject({ step: 'EnsureNetwork', errorClass: 'NoRotatorPlacement' });
    expect((done.failure as { reason: string }).reason).toContain('vpc-0123456789abcdef0');
    const after = await awsClients(cloudUrl).sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    expect(after.Tags).toEqual(before.Tags);
    expect(after.RotationEnabled).toBeUndefined();
  });

  it('cancels a running onboarding: it stops at its next step, undoes what it did, and says it was cancelled', async () => {
    const { secretId, password } = await appSecret('cancel');
    // Pointed at a host that never answers, its preflight takes the whole connection timeout: time to cancel.
    const sm = awsClients(cloudUrl).sm;
    const value = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!) as Record<string, unknown>;
    await sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ ...value, port: hungPort }) }));
    const started = await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)' });
    const id = started.body.onboardingId as string;
    const cancelling = await call('offboard', 'DELETE', `/v1/onboardings/${id}`, { token: TOKENS.a });
    expect(cancelling.status).toBe(202);
    expect(['cancelling', 'cancelled']).toContain(cancelling.body.status);
    const done = await eventually(
      'the cancellation to finish',
      async () => {
        const { body } = await call('getOnboarding', 'GET', `/v1/onboardings/${id}`, { token: TOKENS.a });
        return body.status === 'cancelled' ? body : undefined;
      },
      30_000,
      200,
    );
    expect((done.failure as { reason: string }).reason).toMatch(/cancelled by arn:aws:sts::\d{12}:assumed-role\/rcp-local-team-team-a\//);
    const after = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    expect((after.Tags ?? []).filter((t) => t.Key!.startsWith('rcp:'))).toEqual(OWNED);
    expect(JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!).password).toBe(password);
    // and the secret is free again
    expect((await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)' })).status).toBe(202);
  });

  it('refuses rotate-now while the secret is being onboarded, naming the onboarding', async () => {
    const { secretId } = await appSecret('busy');
    // Its preflight waits on a host that never answers: the onboarding stays running meanwhile.
    const sm = awsClients(cloudUrl).sm;
    const value = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!) as Record<string, unknown>;
    await sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ ...value, port: hungPort }) }));
    const id = (await onboard(TOKENS.a, { secretId, schedule: 'rate(7 days)' })).body.onboardingId as string;
    const refused = await call('rotateNow', 'POST', `/v1/secrets/${encodeURIComponent(secretId)}/rotations`, { token: TOKENS.a });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toMatch(/\/onboarding-running$/);
    expect(refused.body.detail).toContain(id);
    // another team still learns nothing about the secret
    expect((await call('rotateNow', 'POST', `/v1/secrets/${encodeURIComponent(secretId)}/rotations`, { token: TOKENS.b })).status).toBe(404);
    expect((await call('offboard', 'DELETE', `/v1/onboardings/${id}`, { token: TOKENS.a })).status).toBe(202);
  });

  it("lists a team's own secrets only, with where each lives and whether it is onboarded", async () => {
    const { secretId } = await appSecret('listed');
    const mine = await call('listSecrets', 'GET', '/v1/secrets?limit=100', { token: TOKENS.a });
    const names = (mine.body.items as Array<{ name: string; account: string; region: string; onboarded: boolean; team: string }>);
    expect(names.find((s) => s.name === secretId)).toMatchObject({ account: '000000000000', region: 'us-east-1', onboarded: false, team: 'team-a' });
    expect(names.every((s) => s.team === 'team-a')).toBe(true);
    const theirs = await call('listSecrets', 'GET', '/v1/secrets?limit=100', { token: TOKENS.b });
    expect((theirs.body.items as Array<{ name: string }>).map((s) => s.name)).not.toContain(secretId);
    const onboardedOnly = await call('listSecrets', 'GET', '/v1/secrets?onboarded=true&limit=100', { token: TOKENS.a });
    expect((onboardedOnly.body.items as Array<{ onboarded: boolean }>).every((s) => s.onboarded)).toBe(true);
  });

  it('previews the rotation windows a schedule gives, and answers a bad one with the message onboarding would give', async () => {
    const preview = await call('previewSchedule', 'POST', '/v1/schedules/preview', { token: TOKENS.a, body: { schedule: 'cron(0 4 ? * MON *)', window: '2h' } });
    expect(preview.status).toBe(200);
    const windows = preview.body.windows as Array<{ start: string; end: string }>;
    expect(windows).toHaveLength(5);
    for (const w of windows) {
      expect(new Date(w.start).getUTCDay()).toBe(1);
      expect(new Date(w.start).getUTCHours()).toBe(4);
      expect(Date.parse(w.end) - Date.parse(w.start)).toBe(2 * 3_600_000);
    }
    const bad = await call('previewSchedule', 'POST', '/v1/schedules/preview', { token: TOKENS.a, body: { schedule: 'every day' } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('rotate every N days');
  });
});
