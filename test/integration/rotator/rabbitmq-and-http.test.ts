import { createServer, type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everythingPublished, startRotatorCloud, type RotatorCloud, ADMIN_TAGS, TEAM_TAGS } from '../../support/rotation-harness.ts';
import { CredentialService } from '../../support/http-credential-service.ts';

// The machine's RabbitMQ: guest/guest is an administrator over loopback; the management API is on 15672.
const MANAGEMENT = 'http://127.0.0.1:15672/api';
const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
let rc: RotatorCloud;
const service = new CredentialService();
const users: string[] = [];

async function management(method: string, path: string, body?: unknown) {
  const response = await fetch(`${MANAGEMENT}/${path}`, {
    method,
    headers: { authorization: GUEST, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status}`);
  const text = await response.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

async function amqpLogsIn(username: string, password: string): Promise<boolean> {
  try {
    const connection = await amqp.connect({ hostname: '127.0.0.1', port: 5672, username, password, vhost: '/' }, { timeout: 3000 });
    await connection.close();
    return true;
  } catch (err) {
    if (/ACCESS[-_]REFUSED|403/.test((err as Error).message)) return false;
    throw err;
  }
}

let counter = 0;
async function createRabbitUser(password: string, tags: string) {
  const name = `app-${process.pid}-${++counter}`;
  await management('PUT', `users/${name}`, { password, tags });
  await management('PUT', `permissions/%2F/${name}`, { configure: '^app\\..*', write: '.*', read: '.*' });
  users.push(name, `${name}_clone`);
  return name;
}

const rabbitSecret = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
  engine: 'rabbitmq',
  host: '127.0.0.1',
  username,
  password,
  ...extra,
});

beforeAll(async () => {
  rc = await startRotatorCloud('rabbit');
  await service.start();
}, 60_000);

afterAll(async () => {
  for (const user of users) await management('DELETE', `users/${user}`).catch(() => undefined);
  await service.stop();
  await rc?.stop();
});

describe('rabbitmq', () => {
  it('single user (an administrator): the new password logs in over AMQP, the old one no longer does', async () => {
    const user = await createRabbitUser('initial-pass-1', 'administrator');
    const { arn } = await rc.createSecret(rabbitSecret(user, 'initial-pass-1'));
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(await amqpLogsIn(user, current.password as string)).toBe(true);
    expect(await amqpLogsIn(user, 'initial-pass-1')).toBe(false);
    expect(audit.find((e) => e.detail.step === 'testSecret')!.detail.transport).toBe('plaintext-fallback');
  });

  it('alternating users: the clone gets the same tags and permissions, both log in', async () => {
    const base = await createRabbitUser('base-pass-1', 'monitoring');
    const { arn: masterArn } = await rc.createSecret(rabbitSecret('guest', 'guest'), ADMIN_TAGS);
    const { arn } = await rc.createSecret(rabbitSecret(base, 'base-pass-1', { masterarn: masterArn }), TEAM_TAGS);
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(current.username).toBe(`${base}_clone`);
    expect(await amqpLogsIn(`${base}_clone`, current.password as string)).toBe(true);
    expect(await amqpLogsIn(base, 'base-pass-1')).toBe(true);
    const clone = (await management('GET', `users/${base}_clone`)) as { tags: string[] | string };
    expect(String(clone.tags)).toContain('monitoring');
    const permissions = (await management('GET', `users/${base}_clone/permissions`)) as Array<{ configure: string }>;
    expect(permissions).toEqual([expect.objectContaining({ vhost: '/', configure: '^app\\..*', write: '.*', read: '.*' })]);
  });

  it('says how to enable the management API when nothing listens on its port, and changes nothing', async () => {
    const user = await createRabbitUser('mgmt-pass-1', 'administrator');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { arn } = await rc.createSecret(rabbitSecret(user, 'mgmt-pass-1', { port }));
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationFailed');
    const failed = audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!.detail;
    expect(failed.errorClass).toBe('HostUnreachable');
    expect(failed.errorMessage).toMatch(/rabbitmq-plugins enable rabbitmq_management/);
    expect(await amqpLogsIn(user, 'mgmt-pass-1')).toBe(true);
  });

  it('reports a user that may not change passwords as a permission problem, and changes nothing', async () => {
    const user = await createRabbitUser('plain-pass-1', '');
    const { arn } = await rc.createSecret(rabbitSecret(user, 'plain-pass-1'));
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationFailed');
    expect(audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!.detail.errorClass).toMatch(/AuthenticationFailed|PermissionDenied/);
    expect(await amqpLogsIn(user, 'plain-pass-1')).toBe(true);
  });
});

describe('http (the documented contract)', () => {
  it('single user: sets the new password through the service, the old one stops working', async () => {
    service.users.set('svc-user', { password: 'svc-pass-1', admin: false });
    const { arn } = await rc.createSecret({ engine: 'http', url: service.url, username: 'svc-user', password: 'svc-pass-1' });
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(service.users.get('svc-user')!.password).toBe(current.password);
    expect(audit.find((e) => e.detail.step === 'setSecret')!.detail.transport).toBe('http');
  });

  it('alternating users through an admin credential', async () => {
    service.users.set('svc-admin', { password: 'admin-pass', admin: true });
    service.users.set('svc-base', { password: 'base-pass', admin: false });
    const { arn: masterArn } = await rc.createSecret({ engine: 'http', url: service.url, username: 'svc-admin', password: 'admin-pass' }, ADMIN_TAGS);
    const { arn } = await rc.createSecret({ engine: 'http', url: service.url, username: 'svc-base', password: 'base-pass', masterarn: masterArn }, TEAM_TAGS);
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(service.users.get('svc-base_clone')).toMatchObject({ password: current.password, cloneOf: 'svc-base' });
    expect(service.users.get('svc-base')!.password).toBe('base-pass');
  });

  it('refuses "ssl": true with a plain http url', async () => {
    service.users.set('svc-tls', { password: 'tls-pass', admin: false });
    const { arn } = await rc.createSecret({ engine: 'http', url: service.url, username: 'svc-tls', password: 'tls-pass', ssl: true });
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationFailed');
    expect(audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!.detail.errorClass).toBe('TlsRefused');
    expect(service.users.get('svc-tls')!.password).toBe('tls-pass');
  });

  it('never writes a password to a log line or an event', async () => {
    const canary = `CANARY-${randomUUID()}`;
    service.users.set('svc-canary', { password: canary, admin: false });
    const { arn } = await rc.createSecret({ engine: 'http', url: service.url, username: 'svc-canary', password: canary });
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const published = await everythingPublished(rc);
    expect(published).toContain(arn);
    expect(published).not.toContain(canary);
    expect(published).not.toContain(service.users.get('svc-canary')!.password);
  });
});
