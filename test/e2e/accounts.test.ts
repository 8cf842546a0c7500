import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, type DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { GetPolicyCommand } from '@aws-sdk/client-lambda';
import { createClient } from '@redis/client';
import mysql from 'mysql2/promise';
import { OpenAPIBackend } from 'openapi-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../services/api/app.ts';
import { DEMO_ORGANIZATION } from '../../infra/local/demo-organization.ts';
import { awsClients } from '../support/aws-clients.ts';
import { PROJECT_ROOT } from '../support/cloud-process.ts';
import { eventually } from '../support/eventually.ts';
import { startLocalStack, TOKENS, type LocalStack } from '../support/local-stack.ts';

// An organisation of three accounts in two regions (what `npm start` serves); secrets in the member
// accounts, rotated by the one central fleet rotator. Everything goes over HTTP, as a user's would.
const CENTRAL = DEMO_ORGANIZATION.central.id;
const PAYMENTS = DEMO_ORGANIZATION.members[0].id;
const ANALYTICS = DEMO_ORGANIZATION.members[1].id;
const OUTSIDER = '333333333333';
const [EAST, WEST] = DEMO_ORGANIZATION.regions;
const FLEET_ROTATOR = `arn:aws:lambda:${EAST}:${CENTRAL}:function:fleet-rotator`;
const OWNED = [{ Key: 'rcp:team', Value: 'team-a' }];
const run = promisify(execFile);
const contract = new OpenAPIBackend({ definition: loadContract(), quick: true });

let stack: LocalStack;
let apiUrl: string;
let cloudUrl: string;
/** Secrets Manager as the account itself (its root): what the account's own people see. */
const smOf = (account: string, region: string) => awsClients(cloudUrl, { accessKeyId: account, region }).sm;

beforeAll(async () => {
  // Three onboardings at once on a shared machine: give the rotator's first connection time to answer.
  stack = await startLocalStack({ prefix: 'e2e-accounts', env: { ROTATOR_CONNECT_TIMEOUT_MS: '15000' } });
  ({ apiUrl, cloudUrl } = stack);
  await contract.init();
}, 120_000);

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await stack?.stop();
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** One API call; the response must match openapi.yaml for its operation and status. */
async function call(operationId: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${options.token ?? TOKENS.a}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status >= 400) expect(response.headers.get('content-type')).toBe('application/problem+json');
  const validation = contract.validateResponse(body, operationId, response.status);
  expect(validation.errors ?? [], `${method} ${path} ${response.status} ${JSON.stringify(body)}`).toEqual([]);
  return { status: response.status, body };
}

const onboard = (body: Record<string, unknown>) =>
  call('createOnboarding', 'POST', '/v1/onboardings', { body: { team: 'team-a', schedule: 'rate(7 days)', ...body }, headers: { 'idempotency-key': `key-${Math.random().toString(36).slice(2, 12)}` } });

async function finished(onboardingId: string) {
  return eventually(
    `onboarding ${onboardingId} to finish`,
    async () => {
      const { body } = await call('getOnboarding', 'GET', `/v1/onboardings/${onboardingId}`);
      return ['succeeded', 'failed'].includes(body.status as string) ? body : undefined;
    },
    90_000,
    250,
  );
}

const unique = (label: string) => `${label}_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
const canary = (label: string) => `${label}-canary-${Math.random().toString(36).slice(2, 12)}`;

/** A real credential on one of the machine's servers, and a way to check a password against it. */
interface Service {
  engine: string;
  username: string;
  password: string;
  value: Record<string, unknown>;
  logsIn(password: string): Promise<boolean>;
}

/**
 * A login on the stack's demo PostgreSQL, which checks passwords. (The machine's PostgreSQL on 5432
 * trusts every loopback login: there a rotator's "does the pending password already log in?" check
 * always says yes, so setSecret would rightly change nothing, and no test could see a change.)
 */
async function postgresLogin(): Promise<Service> {
  const admin = JSON.parse(await readFile(join(stack.stateDir, 'demo-postgres', 'admin.json'), 'utf8')) as { username: string; password: string };
  const demo = JSON.parse((await smOf(CENTRAL, EAST).send(new GetSecretValueCommand({ SecretId: 'demo/postgres' }))).SecretString!) as { port: number };
  const connect = (user: string, password: string) => new pg.Client({ host: '127.0.0.1', port: demo.port, user, password, database: 'postgres' });
  const username = unique('acct_pg');
  const password = canary('pg');
  const c = connect(admin.username, admin.password);
  await c.connect();
  await c.query(`CREATE ROLE ${c.escapeIdentifier(username)} WITH LOGIN PASSWORD ${c.escapeLiteral(password)}`);
  await c.end();
  return {
    engine: 'postgres',
    username,
    password,
    value: { engine: 'postgres', host: '127.0.0.1', port: demo.port, username, password, dbname: 'postgres' },
    logsIn: async (p) => {
      const login = connect(username, p);
      try {
        await login.connect();
        await login.query('SELECT 1');
        return true;
      } catch (err) {
        if (/password authentication failed/.test((err as Error).message)) return false;
        throw err;
      } finally {
        await login.end().catch(() => undefined);
      }
    },
  };
}

async function mariadbLogin(): Promise<Service> {
  const username = unique('acct_my').slice(0, 32);
  const password = canary('my');
  const root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [username, '%', password]);
  await root.end();
  cleanups.push(async () => {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    await c.query('DROP USER IF EXISTS ?@?', [username, '%']).finally(() => c.end());
  });
  return {
    engine: 'mariadb',
    username,
    password,
    value: { engine: 'mariadb', host: '127.0.0.1', port: 3306, username, password },
    logsIn: async (p) => {
      try {
        const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: username, password: p, connectTimeout: 3000 });
        await c.query('SELECT 1');
        await c.end();
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'ER_ACCESS_DENIED_ERROR') return false;
        throw err;
      }
    },
  };
}

async function redisLogin(): Promise<Service> {
  const username = unique('acct-redis');
  const password = canary('redis');
  const admin = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
  await admin.connect();
  await admin.sendCommand(['ACL', 'SETUSER', username, 'on', `>${password}`, '~app:*', '+@all']);
  await admin.close();
  cleanups.push(async () => {
    const c = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
    await c.connect();
    await c.sendCommand(['ACL', 'DELUSER', username, `${username}_clone`]).finally(() => c.close());
  });
  return {
    engine: 'redis',
    username,
    password,
    value: { engine: 'redis', host: '127.0.0.1', port: 6379, username, password },
    logsIn: async (p) => {
      const c = createClient({ socket: { host: '127.0.0.1', port: 6379, reconnectStrategy: false }, username, password: p });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.ping();
        return true;
      } catch (err) {
        if (/WRONGPASS/.test((err as Error).message)) return false;
        throw err;
      } finally {
        c.destroy();
      }
    },
  };
}

/** A secret in an account and region, made by that account itself and tagged as team-a's. */
async function secretIn(account: string, region: string, name: string, value: Record<string, unknown>) {
  const created = await smOf(account, region).send(new CreateSecretCommand({ Name: `${name}-${Math.random().toString(36).slice(2, 8)}`, Tags: OWNED, SecretString: JSON.stringify(value) }));
  return created.ARN!;
}

const current = (d: DescribeSecretCommandOutput) => Object.entries(d.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];

describe('one control plane for an organisation of accounts and regions', () => {
  const placed: Array<{ account: string; region: string; service: Service; arn: string; onboardingId?: string }> = [];

  it('onboards and rotates PostgreSQL, MariaDB and Redis credentials in two member accounts and a second region, by the one central rotator', async () => {
    const where = [
      { account: PAYMENTS, region: EAST, service: await postgresLogin() },
      { account: ANALYTICS, region: WEST, service: await mariadbLogin() },
      { account: PAYMENTS, region: WEST, service: await redisLogin() },
    ];
    for (const w of where) placed.push({ ...w, arn: await secretIn(w.account, w.region, `e2e/${w.service.engine}`, w.service.value) });
    const before = new Map<string, string | undefined>();
    for (const p of placed) before.set(p.arn, current(await smOf(p.account, p.region).send(new DescribeSecretCommand({ SecretId: p.arn }))));

    const started = await Promise.all(placed.map((p) => onboard({ secretId: p.arn })));
    for (const [i, s] of started.entries()) {
      expect(s.status, JSON.stringify(s.body)).toBe(202);
      expect(s.body).toMatchObject({ secretArn: placed[i]!.arn, account: placed[i]!.account, region: placed[i]!.region });
      placed[i]!.onboardingId = s.body.onboardingId as string;
    }
    const done = await Promise.all(placed.map((p) => finished(p.onboardingId!)));
    for (const d of done) expect(d, JSON.stringify(d.failure)).toMatchObject({ status: 'succeeded' });

    for (const p of placed) {
      const sm = smOf(p.account, p.region);
      const described = await sm.send(new DescribeSecretCommand({ SecretId: p.arn }));
      // Rotated there, by the central rotator: a new version is AWSCURRENT in the member account.
      expect(described).toMatchObject({ RotationEnabled: true, RotationLambdaARN: FLEET_ROTATOR });
      expect(current(described)).not.toBe(before.get(p.arn));
      const now = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: p.arn }))).SecretString!) as { password: string; username: string };
      expect(now.username).toBe(p.service.username);
      expect(now.password).not.toBe(p.service.password);
      // ... and the password really changed on the server.
      expect(await p.service.logsIn(now.password), `${p.service.engine} logs in with the new password`).toBe(true);
      if (p.service.engine !== 'redis') expect(await p.service.logsIn(p.service.password), `${p.service.engine} refuses the old password`).toBe(false);
    }

    // Secrets Manager of each member account may invoke the central rotator, and only those named.
    const policy = JSON.parse((await awsClients(cloudUrl, { accessKeyId: CENTRAL }).lambda.send(new GetPolicyCommand({ FunctionName: FLEET_ROTATOR }))).Policy!) as {
      Statement: Array<{ Principal?: { Service?: string }; Condition?: { StringEquals?: Record<string, string> } }>;
    };
    const sourceAccounts = policy.Statement.filter((s) => s.Principal?.Service === 'secretsmanager.amazonaws.com').map((s) => s.Condition?.StringEquals?.['AWS:SourceAccount'] ?? s.Condition?.StringEquals?.['aws:SourceAccount']);
    expect(sourceAccounts).toEqual(expect.arrayContaining([PAYMENTS, ANALYTICS]));
    expect(sourceAccounts).not.toContain(OUTSIDER);

    // Rotate now, through the member's onboarding role: a second rotation there.
    const target = placed[1]!;
    const rotatedFrom = current(await smOf(target.account, target.region).send(new DescribeSecretCommand({ SecretId: target.arn })));
    const rotate = await call('rotateNow', 'POST', `/v1/secrets/${encodeURIComponent(target.arn)}/rotations`);
    expect(rotate.status, JSON.stringify(rotate.body)).toBe(202);
    await eventually(
      'the second rotation to finish in the member account',
      async () => {
        const d = await smOf(target.account, target.region).send(new DescribeSecretCommand({ SecretId: target.arn }));
        return current(d) === rotate.body.versionId ? d : undefined;
      },
      60_000,
      250,
    );
    expect(rotate.body.versionId).not.toBe(rotatedFrom);
    const latest = JSON.parse((await smOf(target.account, target.region).send(new GetSecretValueCommand({ SecretId: target.arn }))).SecretString!) as { password: string };
    expect(await target.service.logsIn(latest.password)).toBe(true);

    // The rotation state, as the API shows it, comes from the member account.
    const state = await call('getRotation', 'GET', `/v1/secrets/${encodeURIComponent(target.arn)}/rotation`);
    expect(state.body).toMatchObject({ secretArn: target.arn, enabled: true, rotationLambdaArn: FLEET_ROTATOR });

    // No value reached a log, a response or an event.
    const { events } = (await (await fetch(`${cloudUrl}/_local/events?bus=rcp-audit`)).json()) as { events: Array<{ detail: Record<string, unknown> }> };
    const everything = `${stack.output()}${JSON.stringify(events)}`;
    for (const p of placed) expect(everything).not.toContain(p.service.password);
    expect(everything).not.toContain(latest.password);
  }, 180_000);

  it('carries each secret\'s account and region in the API, the audit events and the REST list, which filters by them', async () => {
    expect(placed.length, 'the onboarding test ran first').toBe(3);
    for (const p of placed) {
      const got = await call('getOnboarding', 'GET', `/v1/onboardings/${p.onboardingId!}`);
      expect(got.body).toMatchObject({ account: p.account, region: p.region });
    }
    const { events } = (await (await fetch(`${cloudUrl}/_local/events?bus=rcp-audit`)).json()) as { events: Array<{ 'detail-type': string; detail: { secretArn: string; account: string; region: string } }> };
    for (const p of placed) {
      const mine = events.filter((e) => e.detail.secretArn === p.arn);
      expect(mine.map((e) => e['detail-type'])).toEqual(expect.arrayContaining(['Onboarding Requested', 'Onboarding Succeeded', 'Rotation Succeeded']));
      for (const e of mine) expect(e.detail, e['detail-type']).toMatchObject({ account: p.account, region: p.region });
    }

    const list = async (q: string) => ((await call('listSecrets', 'GET', `/v1/secrets?limit=100${q}`)).body.items as Array<{ secretArn: string; account: string; region: string; onboarded: boolean }>);
    const all = await list('');
    for (const p of placed) expect(all.find((s) => s.secretArn === p.arn)).toMatchObject({ account: p.account, region: p.region, onboarded: true });
    const payments = await list(`&account=${PAYMENTS}`);
    expect(payments.length).toBeGreaterThan(0);
    expect(payments.every((s) => s.account === PAYMENTS)).toBe(true);
    expect(payments.map((s) => s.secretArn)).toEqual(expect.arrayContaining([placed[0]!.arn, placed[2]!.arn]));
    const west = await list(`&region=${WEST}`);
    expect(west.every((s) => s.region === WEST)).toBe(true);
    expect(west.map((s) => s.secretArn)).toEqual(expect.arrayContaining([placed[1]!.arn, placed[2]!.arn]));
    const paymentsWest = await list(`&account=${PAYMENTS}&region=${WEST}`);
    expect(paymentsWest.map((s) => s.secretArn)).toContain(placed[2]!.arn);
    expect(paymentsWest.every((s) => s.account === PAYMENTS && s.region === WEST)).toBe(true);
    // another team sees none of them
    const theirs = (await call('listSecrets', 'GET', '/v1/secrets?limit=100', { token: TOKENS.b })).body.items as Array<{ secretArn: string }>;
    for (const p of placed) expect(theirs.map((s) => s.secretArn)).not.toContain(p.arn);
    // a malformed filter is a 400 that says what to fix
    const bad = await call('listSecrets', 'GET', '/v1/secrets?account=12');
    expect(bad.status).toBe(400);

    // rotctl shows where each secret lives
    const cli = (...args: string[]) => run(process.execPath, [join(PROJECT_ROOT, 'bin/rotctl.js'), ...args], { env: { ...process.env, RCP_API_URL: apiUrl, RCP_TOKEN: TOKENS.a } });
    const { stdout: status } = await cli('status', placed[1]!.onboardingId!);
    expect(status).toContain(`account ${ANALYTICS}`);
    expect(status).toContain(WEST);
    const { stdout: listed } = await cli('list');
    expect(listed).toContain(PAYMENTS);
    expect(listed).toContain(ANALYTICS);
  }, 60_000);

  it("keeps each secret's audit trail: newest first, paginated, without a value, for its own team only", async () => {
    expect(placed.length, 'the onboarding test ran first').toBe(3);
    const target = placed[1]!; // onboarded, then rotated again
    const path = (arn: string, q = '') => `/v1/secrets/${encodeURIComponent(arn)}/events${q}`;
    type Item = { id: string; time: string; detailType: string; detail: Record<string, unknown> };
    const all = await eventually(
      'the audit trail to have the second rotation',
      async () => {
        const { body } = await call('listSecretEvents', 'GET', path(target.arn, '?limit=100'));
        const items = body.items as Item[];
        return items.filter((e) => e.detailType === 'Rotation Succeeded').length >= 2 ? items : undefined;
      },
      30_000,
      250,
    );
    expect(all.map((e) => e.detailType)).toEqual(expect.arrayContaining(['Onboarding Requested', 'Onboarding Step Succeeded', 'Onboarding Succeeded', 'Rotation Step Succeeded', 'Rotation Succeeded']));
    for (const e of all) expect(e.detail, e.detailType).toMatchObject({ secretArn: target.arn, account: target.account, region: target.region });
    const times = all.map((e) => Date.parse(e.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // EventBridge times events to the second: the request is among the oldest, not necessarily last.
    expect(Date.parse(all.find((e) => e.detailType === 'Onboarding Requested')!.time)).toBe(Math.min(...times));
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    // Page by page, the same events in the same order.
    const paged: Item[] = [];
    let nextToken: string | undefined;
    do {
      const { body } = await call('listSecretEvents', 'GET', path(target.arn, `?limit=3${nextToken ? `&nextToken=${nextToken}` : ''}`));
      expect((body.items as Item[]).length).toBeLessThanOrEqual(3);
      paged.push(...(body.items as Item[]));
      nextToken = body.nextToken as string | undefined;
    } while (nextToken);
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    // No value in it: neither the first password nor any since.
    const latest = JSON.parse((await smOf(target.account, target.region).send(new GetSecretValueCommand({ SecretId: target.arn }))).SecretString!) as { password: string };
    expect(JSON.stringify(all)).not.toContain(target.service.password);
    expect(JSON.stringify(all)).not.toContain(latest.password);
    // Another team: the same 404 as a secret that does not exist; a page token of another secret: 400.
    const theirs = await call('listSecretEvents', 'GET', path(target.arn), { token: TOKENS.b });
    const missing = await call('listSecretEvents', 'GET', path(target.arn.replace(/secret:.*/, 'secret:no-such-secret')), { token: TOKENS.b });
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(theirs.body.type).toBe(missing.body.type);
    const first = await call('listSecretEvents', 'GET', path(placed[0]!.arn, '?limit=1'));
    expect(first.body.nextToken).toEqual(expect.any(String));
    const crossed = await call('listSecretEvents', 'GET', path(target.arn, `?nextToken=${first.body.nextToken as string}`));
    expect(crossed.status).toBe(400);
    expect(crossed.body.detail).toMatch(/nextToken/);
  }, 60_000);

  async function unchanged(account: string, region: string, arn: string, body: Record<string, unknown>) {
    const sm = smOf(account, region);
    const before = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    const reply = await onboard({ secretId: arn, ...body });
    let reason: string;
    if (reply.status === 202) {
      const done = await finished(reply.body.onboardingId as string);
      expect(done.status).toBe('failed');
      reason = (done.failure as { reason: string }).reason;
    } else {
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      reason = reply.body.detail as string;
    }
    const after = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(after.Tags).toEqual(before.Tags);
    expect(after.RotationEnabled).toBe(before.RotationEnabled);
    expect(after.RotationLambdaARN).toBe(before.RotationLambdaARN);
    expect(after.VersionIdsToStages).toEqual(before.VersionIdsToStages);
    return { reply, reason };
  }

  it('refuses a secret whose account is not a member of the organisation, saying so and changing nothing', async () => {
    const service = await postgresLogin();
    const arn = await secretIn(OUTSIDER, EAST, 'e2e/outsider', service.value);
    const { reason } = await unchanged(OUTSIDER, EAST, arn, {});
    expect(reason).toContain(OUTSIDER);
    expect(reason).toMatch(/not a member|member account/);
    expect(await service.logsIn(service.password)).toBe(true);
  }, 60_000);

  it("refuses a secret whose member role does not trust the control plane, saying so and changing nothing", async () => {
    const service = await postgresLogin();
    const arn = await secretIn(ANALYTICS, EAST, 'e2e/untrusting', service.value);
    const iam = awsClients(cloudUrl, { accessKeyId: ANALYTICS }).iam;
    const role = (await iam.send(new GetRoleCommand({ RoleName: 'rcp-member-onboarding' }))).Role!;
    const trust = decodeURIComponent(role.AssumeRolePolicyDocument!);
    // The member's administrators point the role's trust at another account: the control plane may no longer act there.
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'rcp-member-onboarding', PolicyDocument: trust.replaceAll(`::${CENTRAL}:`, `::${OUTSIDER}:`) }));
    try {
      const { reason } = await unchanged(ANALYTICS, EAST, arn, {});
      expect(reason).toContain(ANALYTICS);
      expect(reason).toMatch(/rcp-member-onboarding/);
      expect(reason).toMatch(/trust/);
    } finally {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'rcp-member-onboarding', PolicyDocument: trust }));
    }
    expect(await service.logsIn(service.password)).toBe(true);
  }, 60_000);

  it("a member's inventory role lists and describes but cannot read a value", async () => {
    const service = await postgresLogin();
    const arn = await secretIn(PAYMENTS, WEST, 'e2e/inventoried', service.value);
    // A central role of the compliance kind, as the compliance evaluator's (trusted by name).
    const central = awsClients(cloudUrl, { accessKeyId: CENTRAL });
    const roleName = `rcp-central-compliance-e2e${process.pid}-${EAST}`;
    await central.iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CENTRAL}:root` }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    await central.iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'assume-member-inventory',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/rcp-member-inventory' }] }),
      }),
    );
    const compliance = (await central.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${CENTRAL}:role/${roleName}`, RoleSessionName: 'e2e' }))).Credentials!;
    const asCompliance = awsClients(cloudUrl, { credentials: { accessKeyId: compliance.AccessKeyId!, secretAccessKey: compliance.SecretAccessKey!, sessionToken: compliance.SessionToken! } });
    const inventory = (
      await asCompliance.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PAYMENTS}:role/rcp-member-inventory`, RoleSessionName: 'e2e-inventory', ExternalId: DEMO_ORGANIZATION.externalId }))
    ).Credentials!;
    const sm = awsClients(cloudUrl, { region: WEST, credentials: { accessKeyId: inventory.AccessKeyId!, secretAccessKey: inventory.SecretAccessKey!, sessionToken: inventory.SessionToken! } }).sm;
    expect((await sm.send(new DescribeSecretCommand({ SecretId: arn }))).ARN).toBe(arn);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: arn }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  }, 60_000);

  it('rotctl onboards a member account\'s secret and the aws CLI, with that account\'s key, shows it rotating there', async () => {
    const service = await postgresLogin();
    const arn = await secretIn(ANALYTICS, WEST, 'e2e/rotctl', service.value);
    const { stdout } = await run(process.execPath, [join(PROJECT_ROOT, 'bin/rotctl.js'), 'onboard', '--secret', arn, '--schedule', 'rotate every 30 days', '--team', 'team-a'], {
      env: { ...process.env, RCP_API_URL: apiUrl, RCP_TOKEN: TOKENS.a },
    });
    expect(stdout).toContain('onboarded:');
    expect(stdout).toContain(`account ${ANALYTICS}`);
    const { stdout: described } = await run('aws', ['--endpoint-url', cloudUrl, '--region', WEST, 'secretsmanager', 'describe-secret', '--secret-id', arn, '--output', 'json'], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: ANALYTICS, AWS_SECRET_ACCESS_KEY: 'x', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    const secret = JSON.parse(described) as { RotationEnabled: boolean; RotationLambdaARN: string; RotationRules: Record<string, unknown>; LastRotatedDate?: unknown; VersionIdsToStages: Record<string, string[]> };
    expect(secret).toMatchObject({ RotationEnabled: true, RotationLambdaARN: FLEET_ROTATOR, RotationRules: { ScheduleExpression: 'rate(30 days)' } });
    expect(secret.LastRotatedDate).toBeDefined();
    expect(Object.keys(secret.VersionIdsToStages)).toHaveLength(2);
    expect(stdout).not.toContain(service.password);
  }, 120_000);
});
