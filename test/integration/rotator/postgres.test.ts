import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { PutSecretValueCommand, RotateSecretCommand, UpdateSecretVersionStageCommand, type Tag } from '@aws-sdk/client-secrets-manager';
import { GetFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everythingPublished, FLEET_ROTATOR_ARN, startRotatorCloud, type RotatorCloud, ADMIN_TAGS, TEAM_TAGS } from '../../support/rotation-harness.ts';
import { startPasswordPostgres, type PasswordPostgres } from '../../support/password-postgres.ts';
import { PROJECT_ROOT } from '../../support/cloud-process.ts';
import { PUNCTUATION } from '../../../infra/local/cloud/services/secretsmanager/random-password.ts';
import { postgresPlugin } from '../../../services/rotator/plugins/postgres/index.ts';

let db: PasswordPostgres;
let rc: RotatorCloud;
let hung: Server;
let hungPort: number;

async function sql(text: string, params: unknown[] = []) {
  const client = new pg.Client({ host: '127.0.0.1', port: db.port, user: db.admin.username, password: db.admin.password, database: 'postgres' });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

async function logsIn(username: string, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port: db.port, user: username, password, database: 'postgres', connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') return false;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let userCounter = 0;
async function createUser(password: string, name = `app_${process.pid}_${++userCounter}`) {
  await sql(`CREATE ROLE ${pg.escapeIdentifier(name)} WITH LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
  return name;
}

const secretFor = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
  engine: 'postgres',
  host: '127.0.0.1',
  port: db.port,
  username,
  password,
  dbname: 'postgres',
  ...extra,
});

/** A proxy to the database that holds its first connection without answering and forwards the others. */
async function holdingProxy(targetPort: number) {
  let heldOne: () => void;
  const held = new Promise<void>((resolve) => (heldOne = resolve));
  let first = true;
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    if (first) {
      first = false;
      heldOne();
      return;
    }
    const upstream = createConnection(targetPort, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as { port: number }).port, held, close: () => server.close() };
}

beforeAll(async () => {
  [db, rc] = await Promise.all([startPasswordPostgres(), startRotatorCloud('pg')]);
  hung = createServer(() => undefined); // accepts connections, never answers
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', () => resolve()));
  hungPort = (hung.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  hung?.close();
  await rc?.stop();
  await db?.stop();
});

describe('postgres, single user', () => {
  it('rotates: the new password logs in, the old one no longer does, AWSPREVIOUS keeps the old version', async () => {
    const user = await createUser('initial-password-1');
    const { arn } = await rc.createSecret(secretFor(user, 'initial-password-1'));
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationSucceeded');

    const current = await rc.value(arn);
    expect(current.username).toBe(user);
    expect(current.password).not.toBe('initial-password-1');
    expect(await logsIn(user, current.password as string)).toBe(true);
    expect(await logsIn(user, 'initial-password-1')).toBe(false);
    expect((await rc.value(arn, 'AWSPREVIOUS')).password).toBe('initial-password-1');
    // the server stored a SCRAM verifier: the plaintext never went over the wire as SQL
    const stored = await sql('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [user]);
    expect(stored.rows[0].rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);

    const steps = audit.filter((e) => e['detail-type'] === 'Rotation Step Succeeded').map((e) => e.detail.step);
    expect(steps).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(audit.some((e) => e['detail-type'] === 'Rotation Succeeded')).toBe(true);
    expect(audit.every((e) => e.detail.durationMs >= 0)).toBe(true);
    // the machine's cluster has no TLS: with "ssl" unset the rotator fell back and said so
    expect(audit.find((e) => e.detail.step === 'setSecret')!.detail.transport).toBe('plaintext-fallback');
    expect(rc.cloud.output()).toMatch(/"level":"WARN".*server refused TLS/);
  });

  it('works with a quoted user name and a password made of every allowed character, and keeps extra keys', async () => {
    const allowed = [...`abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789${PUNCTUATION}`]
      .filter((c) => !postgresPlugin.passwordPolicy.excludeCharacters.includes(c))
      .join('');
    const user = await createUser(allowed, `o'brien "quoted" ${process.pid}`);
    expect(await logsIn(user, allowed)).toBe(true);
    const { arn } = await rc.createSecret(secretFor(user, allowed, { note: 'kept', ssl: false }));
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(current.note).toBe('kept');
    expect(await logsIn(user, current.password as string)).toBe(true);
    expect(await logsIn(user, allowed)).toBe(false);
    expect((await rc.audit(arn)).find((e) => e.detail.step === 'setSecret')!.detail.transport).toBe('plaintext');
  });

  it('falls back to the previous credential when the current one no longer logs in', async () => {
    const user = await createUser('fallback-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'fallback-pass-1'));
    // someone stores a new "current" value that was never set on the server
    await rc.clients.sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(secretFor(user, 'never-applied-password')) }));
    const { outcome } = await rc.rotate(arn);
    expect(outcome).toBe('RotationSucceeded');
    expect(await logsIn(user, (await rc.value(arn)).password as string)).toBe(true);
    expect(rc.cloud.output()).toContain('current credential does not log in; using the previous one');
  });
});

describe('postgres, alternating users', () => {
  it('creates <user>_clone with the same privileges, alternates between the two, and both keep working', async () => {
    const base = await createUser('base-password-1');
    await sql(`CREATE TABLE IF NOT EXISTS orders_${process.pid} (id int)`);
    await sql(`GRANT SELECT ON orders_${process.pid} TO ${pg.escapeIdentifier(base)}`);
    const { arn: masterArn } = await rc.createSecret(secretFor(db.admin.username, db.admin.password), ADMIN_TAGS);
    const { arn } = await rc.createSecret(secretFor(base, 'base-password-1', { masterarn: masterArn }), TEAM_TAGS);

    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const first = await rc.value(arn);
    expect(first.username).toBe(`${base}_clone`);
    expect(await logsIn(base, 'base-password-1')).toBe(true); // the previous user still works
    const clone = new pg.Client({ host: '127.0.0.1', port: db.port, user: `${base}_clone`, password: first.password as string, database: 'postgres' });
    await clone.connect();
    await clone.query(`SELECT * FROM orders_${process.pid}`); // inherited privilege
    await clone.end();
    expect((await rc.value(arn, 'AWSPREVIOUS')).username).toBe(base);

    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const second = await rc.value(arn);
    expect(second.username).toBe(base);
    expect(await logsIn(base, second.password as string)).toBe(true);
    expect(await logsIn(`${base}_clone`, first.password as string)).toBe(true);
    expect((await rc.audit(arn)).find((e) => e.detail.step === 'setSecret')!.detail.strategy).toBe('alternating-users');
  });

  it('refuses an admin credential for another host', async () => {
    const base = await createUser('base-password-2');
    const { arn: masterArn } = await rc.createSecret({ ...secretFor(db.admin.username, db.admin.password), host: 'localhost' }, ADMIN_TAGS);
    const { arn } = await rc.createSecret(secretFor(base, 'base-password-2', { masterarn: masterArn }), TEAM_TAGS);
    expect((await rc.rotate(arn)).outcome).toBe('RotationFailed');
    const failed = (await rc.audit(arn)).find((e) => e['detail-type'] === 'Rotation Step Failed')!;
    expect(failed.detail).toMatchObject({ step: 'setSecret', errorClass: 'GuardRefused' });
    expect(await logsIn(`${base}_clone`, 'x')).toBe(false);
  });
});

describe('postgres, the step protocol and its guards', () => {
  /** Turns rotation on without rotating, then stages a hand-made pending version, so single steps can be driven. */
  async function pendingRotation(current: Record<string, unknown>, pending: Record<string, unknown>, tags: Tag[] = []) {
    const { arn } = await rc.createSecret(current, tags);
    await rc.clients.sm.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: FLEET_ROTATOR_ARN, RotateImmediately: false, RotationRules: { AutomaticallyAfterDays: 30 } }));
    const token = randomUUID();
    await rc.clients.sm.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: JSON.stringify(pending), VersionStages: ['AWSPENDING'] }));
    return { arn, token };
  }

  async function invoke(arn: string, token: string, step: string) {
    const out = await rc.clients.lambda.send(
      new InvokeCommand({ FunctionName: 'fleet-rotator', Payload: Buffer.from(JSON.stringify({ Step: step, SecretId: arn, ClientRequestToken: token })) }),
    );
    return { error: out.FunctionError, payload: JSON.parse(Buffer.from(out.Payload!).toString()) as { errorType?: string; errorMessage?: string } };
  }

  it('refuses a pending version for another host or another user, and changes nothing', async () => {
    const user = await createUser('guarded-pass-1');
    const other = await createUser('other-pass-1');
    for (const pending of [secretFor(user, 'new-pass-xyz', { host: 'localhost' }), secretFor(other, 'new-pass-xyz')]) {
      const { arn, token } = await pendingRotation(secretFor(user, 'guarded-pass-1'), pending);
      const result = await invoke(arn, token, 'setSecret');
      expect(result.error).toBe('Unhandled');
      expect(result.payload.errorType).toBe('GuardRefused');
      expect(await logsIn(user, 'guarded-pass-1')).toBe(true);
      expect(await logsIn(other, 'other-pass-1')).toBe(true);
    }
  });

  it('runs each step again with the same token without changing anything more', async () => {
    const user = await createUser('twice-pass-1');
    const { arn, token } = await pendingRotation(secretFor(user, 'twice-pass-1'), secretFor(user, 'twice-pass-2'));
    for (const step of ['setSecret', 'setSecret', 'testSecret', 'testSecret', 'finishSecret', 'finishSecret']) {
      expect((await invoke(arn, token, step)).error).toBeUndefined();
    }
    expect(await logsIn(user, 'twice-pass-2')).toBe(true);
    const stages = await rc.stages(arn);
    expect(stages[token]).toContain('AWSCURRENT');
    expect(Object.values(stages).filter((s) => s.includes('AWSPREVIOUS'))).toHaveLength(1);
    // a step delivered again returns the first result: one audit event per step
    const setEvents = (await rc.audit(arn)).filter((e) => e.detail.step === 'setSecret');
    expect(setEvents).toHaveLength(1);
  });

  it('runs a step delivered twice at once: both deliveries succeed and the pending password is set', async () => {
    const user = await createUser('concurrent-pass-1');
    const { arn, token } = await pendingRotation(secretFor(user, 'concurrent-pass-1'), secretFor(user, 'concurrent-pass-2'));
    // several times over: the deliveries' statements must meet in the database to show the race
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all([invoke(arn, token, 'setSecret'), invoke(arn, token, 'setSecret'), invoke(arn, token, 'setSecret')]);
      expect(results.map((r) => r.payload)).toEqual([null, null, null]);
    }
    expect(await logsIn(user, 'concurrent-pass-2')).toBe(true);
  });

  it('creates the clone once when its setSecret is delivered twice at once (alternating users)', async () => {
    const user = await createUser('clone-race-pass-1');
    const { arn: masterArn } = await rc.createSecret(secretFor(db.admin.username, db.admin.password), ADMIN_TAGS);
    const { arn, token } = await pendingRotation(
      secretFor(user, 'clone-race-pass-1', { masterarn: masterArn }),
      secretFor(`${user}_clone`, 'clone-race-pass-2', { masterarn: masterArn }),
      TEAM_TAGS,
    );
    const results = await Promise.all([invoke(arn, token, 'setSecret'), invoke(arn, token, 'setSecret')]);
    expect(results.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(await logsIn(`${user}_clone`, 'clone-race-pass-2')).toBe(true);
    const roles = await sql('SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1', [`${user}_clone`]);
    expect(roles.rows.map((r) => r.rolname)).toEqual([user]);
  });

  it('runs setSecret again at once when the delivery before it died mid-step (its record still in progress)', async () => {
    const user = await createUser('orphan-pass-1');
    // The first delivery's connection is held by a proxy that never answers; it is killed while it waits.
    const proxy = await holdingProxy(db.port);
    try {
      const { arn, token } = await pendingRotation(secretFor(user, 'orphan-pass-1', { port: proxy.port }), secretFor(user, 'orphan-pass-2', { port: proxy.port }));
      const event = { Step: 'setSecret', SecretId: arn, ClientRequestToken: token };
      const { Configuration } = await rc.clients.lambda.send(new GetFunctionCommand({ FunctionName: 'fleet-rotator' }));
      const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/support/rotator-process.ts'), JSON.stringify(event)], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          ...Configuration!.Environment!.Variables,
          AWS_ENDPOINT_URL: rc.cloud.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: '000000000000',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_LAMBDA_FUNCTION_NAME: 'fleet-rotator',
          ROTATOR_CONNECT_TIMEOUT_MS: String(15 * 60_000),
        },
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await proxy.held;
      child.kill('SIGKILL');
      await exited;
      // Were it to wait for the dead delivery's deadline, this would take fifteen minutes.
      expect((await invoke(arn, token, 'setSecret')).error).toBeUndefined();
      expect(await logsIn(user, 'orphan-pass-2')).toBe(true);
    } finally {
      proxy.close();
    }
  });

  it('rejects a token that is not pending, and a secret whose rotation is off', async () => {
    const user = await createUser('proto-pass-1');
    const { arn, token } = await pendingRotation(secretFor(user, 'proto-pass-1'), secretFor(user, 'proto-pass-2'));
    await rc.clients.sm.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
    const notPending = await invoke(arn, token, 'createSecret');
    expect(notPending.payload.errorType).toBe('ProtocolViolation');
    const unknown = await invoke(arn, randomUUID(), 'createSecret');
    expect(unknown.payload.errorMessage).toMatch(/is not a version of secret/);
    const { arn: plain } = await rc.createSecret(secretFor(user, 'proto-pass-1'));
    const off = await invoke(plain, randomUUID(), 'createSecret');
    expect(off.payload.errorMessage).toMatch(/rotation is not enabled/);
  });
});

describe('postgres, preflight for onboarding', () => {
  async function preflight(secretId: string, extra: Record<string, unknown> = {}) {
    const out = await rc.clients.lambda.send(
      new InvokeCommand({ FunctionName: 'fleet-rotator', Payload: Buffer.from(JSON.stringify({ Step: 'preflight', SecretId: secretId, ClientRequestToken: `onb-${randomUUID()}`, ...extra })) }),
    );
    return { error: out.FunctionError, payload: JSON.parse(Buffer.from(out.Payload!).toString()) as Record<string, unknown> };
  }

  it('answers what it found when the current credential logs in, and changes nothing', async () => {
    const user = await createUser('preflight-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'preflight-pass-1'));
    const result = await preflight(arn);
    expect(result.error).toBeUndefined();
    expect(result.payload).toMatchObject({ secretArn: arn, engine: 'postgres', strategy: 'single-user', username: user, transport: 'plaintext-fallback' });
    expect(Object.keys(await rc.stages(arn))).toHaveLength(1);
    expect(await logsIn(user, 'preflight-pass-1')).toBe(true);
  });

  it('takes the service type from the request when the secret has no engine key, and checks the admin credential', async () => {
    const user = await createUser('preflight-pass-2');
    const { arn: masterArn } = await rc.createSecret(secretFor(db.admin.username, db.admin.password), ADMIN_TAGS);
    const { engine: _engine, ...withoutEngine } = secretFor(user, 'preflight-pass-2', { masterarn: masterArn });
    const { arn } = await rc.createSecret(withoutEngine, TEAM_TAGS);
    const result = await preflight(arn, { ServiceType: 'postgres', Strategy: 'alternating-users' });
    expect(result.payload).toMatchObject({ engine: 'postgres', strategy: 'alternating-users' });
    const unsupported = await preflight(arn, { ServiceType: 'postgres', Strategy: 'dual-password' });
    expect(unsupported.payload.errorType).toBe('UnsupportedStrategy');
  });

  it('names the cause when the credential does not log in', async () => {
    const user = await createUser('preflight-pass-3');
    const { arn } = await rc.createSecret(secretFor(user, 'wrong'));
    const result = await preflight(arn);
    expect(result.error).toBe('Unhandled');
    expect(result.payload.errorType).toBe('AuthenticationFailed');
    expect(JSON.stringify(result.payload)).not.toContain('wrong');
  });
});

describe('postgres, broken secrets and broken services', () => {
  it.each([
    ['broken JSON', '{"engine":"postgres", "host": '],
    ['missing keys', JSON.stringify({ engine: 'postgres', host: '127.0.0.1' })],
    ['an unknown engine', JSON.stringify({ engine: 'oracle', host: 'h', username: 'u', password: 'p' })],
  ])('fails with a reason on %s, and the working credential stays', async (_label, value) => {
    const user = await createUser('broken-pass-1');
    const { arn } = await rc.createSecret(value);
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationFailed');
    const failed = audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!;
    expect(failed.detail).toMatchObject({ step: 'createSecret', errorClass: 'InvalidSecret' });
    expect(failed.detail.errorMessage).toMatch(/JSON|missing|engine/);
    expect(await logsIn(user, 'broken-pass-1')).toBe(true);
  });

  it('names the cause: unreachable host, hung host, wrong password, TLS required but refused', async () => {
    const user = await createUser('cause-pass-1');
    const cases: Array<[Record<string, unknown>, string]> = [
      [secretFor(user, 'cause-pass-1', { port: 1 }), 'HostUnreachable'],
      [secretFor(user, 'cause-pass-1', { port: hungPort }), 'ConnectionTimeout'],
      [secretFor(user, 'wrong-password'), 'AuthenticationFailed'],
      [secretFor(user, 'cause-pass-1', { ssl: true }), 'TlsRefused'],
    ];
    for (const [secret, cause] of cases) {
      const { arn } = await rc.createSecret(secret);
      const started = Date.now();
      const { outcome, audit } = await rc.rotate(arn);
      expect(outcome).toBe('RotationFailed');
      expect(Date.now() - started).toBeLessThan(15_000);
      const failed = audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!;
      expect(failed.detail, cause).toMatchObject({ step: 'setSecret', errorClass: cause });
    }
    expect(await logsIn(user, 'cause-pass-1')).toBe(true);
  });

  it('never writes a password to a log line or an event', async () => {
    const canary = `CANARY-${randomUUID()}`;
    const user = await createUser(canary);
    const { arn } = await rc.createSecret(secretFor(user, canary));
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const rotated = (await rc.value(arn)).password as string;
    const { arn: broken } = await rc.createSecret(secretFor(user, `${canary}-wrong`));
    expect((await rc.rotate(broken)).outcome).toBe('RotationFailed');
    const published = await everythingPublished(rc);
    expect(published).toContain(arn); // the capture is real
    expect(published).not.toContain(canary);
    expect(published).not.toContain(rotated);
  });
});

describe('postgres, admin credentials and what a failure may say', () => {
  async function rotateWithAdmin(adminTags: Array<{ Key: string; Value: string }> | 'missing') {
    const base = await createUser('owned-admin-pass-1');
    const adminArn =
      adminTags === 'missing'
        ? 'arn:aws:secretsmanager:us-east-1:000000000000:secret:no-such-admin-AbCdEf'
        : (await rc.createSecret(secretFor(db.admin.username, db.admin.password), adminTags)).arn;
    const { arn } = await rc.createSecret(secretFor(base, 'owned-admin-pass-1', { masterarn: adminArn }), TEAM_TAGS);
    const { outcome, audit } = await rc.rotate(arn);
    return { base, outcome, failed: audit.find((e) => e['detail-type'] === 'Rotation Step Failed')?.detail };
  }

  it("refuses an admin credential that is not the team's own admin secret, with one answer whatever the reason", async () => {
    const messages = new Set<string>();
    for (const tags of [[], TEAM_TAGS, [{ Key: 'rcp:team', Value: 'team-b' }, { Key: 'rcp:admin-credential', Value: 'true' }], 'missing'] as const) {
      const { base, outcome, failed } = await rotateWithAdmin(tags as never);
      expect(outcome).toBe('RotationFailed');
      expect(failed).toMatchObject({ step: 'setSecret', errorClass: 'GuardRefused' });
      messages.add(failed!.errorMessage!);
      // nothing of the admin secret leaks: not its user, and no clone was made with it
      expect(failed!.errorMessage).not.toContain(db.admin.username);
      expect(await logsIn(`${base}_clone`, 'x')).toBe(false);
    }
    expect(messages.size).toBe(1);
    expect([...messages][0]).toMatch(/tagged rcp:team=team-a and rcp:admin-credential=true/);
  });

  it('never quotes a value of a broken secret, and calls a bad port a bad port', async () => {
    const { arn } = await rc.createSecret({ engine: 'oracle-CANARY-ENGINE', host: 'h', username: 'u', password: 'p' });
    const engine = (await rc.rotate(arn)).audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!.detail.errorMessage!;
    expect(engine).toMatch(/"engine" is not a service type the fleet rotator serves/);
    expect(engine).not.toContain('CANARY');
    const { arn: badPort } = await rc.createSecret({ engine: 'postgres', host: 'h', port: 'five-four-three-two', username: 'u', password: 'p' });
    const port = (await rc.rotate(badPort)).audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!.detail.errorMessage!;
    expect(port).toContain('"port" is not a number');
    expect(port).not.toContain('missing');
    expect(port).not.toContain('five-four');
  });
});

describe('postgres, a rotation left unfinished', () => {
  async function preflight(secretId: string) {
    const out = await rc.clients.lambda.send(
      new InvokeCommand({ FunctionName: 'fleet-rotator', Payload: Buffer.from(JSON.stringify({ Step: 'preflight', SecretId: secretId, ClientRequestToken: `onb-${randomUUID()}` })) }),
    );
    return { error: out.FunctionError, payload: JSON.parse(Buffer.from(out.Payload!).toString()) as Record<string, string> };
  }

  it('reports a stray AWSPENDING when the current credential works, so onboarding can clear it', async () => {
    const user = await createUser('stray-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'stray-pass-1'));
    // A RotateSecret whose createSecret never ran leaves a pending version with no value.
    const stray = randomUUID();
    await rc.clients.sm.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: stray, SecretString: JSON.stringify(secretFor(user, 'never-set')), VersionStages: ['AWSPENDING'] }));
    const result = await preflight(arn);
    expect(result.error).toBeUndefined();
    expect(result.payload.strayPendingVersion).toBe(stray);
  });

  it('says exactly how to make the pending version current when the service already has its password', async () => {
    const user = await createUser('cut-off-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'cut-off-pass-1'));
    const pending = randomUUID();
    await rc.clients.sm.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: pending, SecretString: JSON.stringify(secretFor(user, 'cut-off-pass-2')), VersionStages: ['AWSPENDING'] }));
    // the rotation was cut off right after setSecret: the server has the pending password
    await sql(`ALTER ROLE ${pg.escapeIdentifier(user)} WITH PASSWORD 'cut-off-pass-2'`);
    const result = await preflight(arn);
    expect(result.payload.errorType).toBe('AuthenticationFailed');
    expect(result.payload.errorMessage).toContain(`--version-stage AWSCURRENT --move-to-version-id ${pending}`);
    expect(result.payload.errorMessage).not.toContain('cut-off-pass');
  });
});
