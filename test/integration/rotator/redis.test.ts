import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everythingPublished, startRotatorCloud, type RotatorCloud, ADMIN_TAGS, TEAM_TAGS } from '../../support/rotation-harness.ts';

// The machine's Redis: the default user has no password and manages the ACL users the tests make.
let rc: RotatorCloud;
const users: string[] = [];

async function redisAdmin(...args: string[]) {
  const client = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    await client.close();
  }
}

async function logsIn(username: string, password: string): Promise<boolean> {
  const client = createClient({ socket: { host: '127.0.0.1', port: 6379, reconnectStrategy: false }, username, password });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (err) {
    if (/WRONGPASS/.test((err as Error).message)) return false;
    throw err;
  } finally {
    client.destroy();
  }
}

let counter = 0;
async function createUser(password: string, rules = ['~app:*', '+@all']) {
  const name = `app-${process.pid}-${++counter}`;
  await redisAdmin('ACL', 'SETUSER', name, 'on', `>${password}`, ...rules);
  users.push(name, `${name}_clone`);
  return name;
}

const secretFor = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
  engine: 'redis',
  host: '127.0.0.1',
  port: 6379,
  username,
  password,
  ...extra,
});

beforeAll(async () => {
  rc = await startRotatorCloud('redis');
}, 60_000);

afterAll(async () => {
  for (const user of users) await redisAdmin('ACL', 'DELUSER', user).catch(() => undefined);
  await rc?.stop();
});

describe('redis ACL users', () => {
  it('single user: the new password logs in, the old one no longer does', async () => {
    const user = await createUser('initial-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'initial-pass-1'));
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(await logsIn(user, current.password as string)).toBe(true);
    expect(await logsIn(user, 'initial-pass-1')).toBe(false);
    expect((await rc.value(arn, 'AWSPREVIOUS')).password).toBe('initial-pass-1');
  });

  it('dual password: the previous password keeps working until the next rotation', async () => {
    const user = await createUser('dual-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'dual-pass-1'), [{ Key: 'rcp:rotation-strategy', Value: 'dual-password' }]);
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const first = (await rc.value(arn)).password as string;
    expect(await logsIn(user, first)).toBe(true);
    expect(await logsIn(user, 'dual-pass-1')).toBe(true);

    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const second = (await rc.value(arn)).password as string;
    expect(await logsIn(user, second)).toBe(true);
    expect(await logsIn(user, first)).toBe(true);
    expect(await logsIn(user, 'dual-pass-1')).toBe(false);
    expect((await rc.audit(arn)).find((e) => e.detail.step === 'setSecret')!.detail.strategy).toBe('dual-password');
  });

  it('alternating users: the clone gets the same ACL rules, both users log in', async () => {
    const base = await createUser('base-pass-1', ['~orders:*', '+get', '+set', '+ping']);
    const adminName = await createUser('admin-pass-1', ['~*', '&*', '+@all']);
    const { arn: masterArn } = await rc.createSecret(secretFor(adminName, 'admin-pass-1'), ADMIN_TAGS);
    const { arn } = await rc.createSecret(secretFor(base, 'base-pass-1', { masterarn: masterArn }), TEAM_TAGS);
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(current.username).toBe(`${base}_clone`);
    expect(await logsIn(`${base}_clone`, current.password as string)).toBe(true);
    expect(await logsIn(base, 'base-pass-1')).toBe(true);
    const rules = (await redisAdmin('ACL', 'LIST')) as unknown as string[];
    const ruleText = (name: string) => rules.find((l) => l.startsWith(`user ${name} `))!.split(' ').filter((r) => !r.startsWith('#')).slice(2).join(' ');
    expect(ruleText(`${base}_clone`)).toBe(ruleText(base));
  });

  it('refuses to rotate with an unsupported strategy tag, naming the choices', async () => {
    const user = await createUser('tag-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'tag-pass-1'), [{ Key: 'rcp:rotation-strategy', Value: 'triple' }]);
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationFailed');
    const failed = audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!.detail;
    expect(failed.errorClass).toBe('UnsupportedStrategy');
    expect(failed.errorMessage).toContain('dual-password');
    expect(await logsIn(user, 'tag-pass-1')).toBe(true);
  });

  it('never writes a password to a log line or an event', async () => {
    const canary = `CANARY-${randomUUID()}`;
    const user = await createUser(canary);
    const { arn } = await rc.createSecret(secretFor(user, canary), [{ Key: 'rcp:rotation-strategy', Value: 'dual-password' }]);
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const published = await everythingPublished(rc);
    expect(published).toContain(arn);
    expect(published).not.toContain(canary);
    expect(published).not.toContain((await rc.value(arn)).password as string);
  });
});
