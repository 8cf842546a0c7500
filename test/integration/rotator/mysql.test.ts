import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everythingPublished, startRotatorCloud, type RotatorCloud, ADMIN_TAGS, TEAM_TAGS } from '../../support/rotation-harness.ts';
import { PUNCTUATION } from '../../../infra/local/cloud/services/secretsmanager/random-password.ts';
import { classify, mysqlPlugin } from '../../../services/rotator/plugins/mysql/index.ts';

// The machine's MariaDB: root has no password over loopback, other users' passwords are checked.
const ROOT = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const DB = `rcp_rotator_${process.pid}`;
let rc: RotatorCloud;
const created: string[] = [];

async function asRoot(sql: string, params: unknown[] = []) {
  const connection = await mysql.createConnection(ROOT);
  try {
    const [rows] = await connection.query(sql, params);
    return rows;
  } finally {
    await connection.end();
  }
}

async function logsIn(user: string, password: string): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user, password, connectTimeout: 3000 });
    await connection.query('SELECT 1');
    await connection.end();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'ER_ACCESS_DENIED_ERROR') return false;
    throw err;
  }
}

let counter = 0;
async function createUser(password: string, name = `app${process.pid % 10000}_${++counter}`) {
  await asRoot('CREATE USER ?@? IDENTIFIED BY ?', [name, '%', password]);
  created.push(name, `${name}_clone`);
  return name;
}

const secretFor = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
  engine: 'mariadb',
  host: '127.0.0.1',
  port: 3306,
  username,
  password,
  ...extra,
});

beforeAll(async () => {
  rc = await startRotatorCloud('mysql');
  await asRoot(`CREATE DATABASE IF NOT EXISTS ${DB}`);
  await asRoot(`CREATE TABLE IF NOT EXISTS ${DB}.orders (id int)`);
}, 60_000);

afterAll(async () => {
  for (const user of created) await asRoot('DROP USER IF EXISTS ?@?', [user, '%']).catch(() => undefined);
  await asRoot(`DROP DATABASE IF EXISTS ${DB}`).catch(() => undefined);
  await rc?.stop();
});

describe('mysql/mariadb', () => {
  it('single user: the new password logs in, the old one no longer does', async () => {
    const user = await createUser('initial-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'initial-pass-1'));
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(await logsIn(user, current.password as string)).toBe(true);
    expect(await logsIn(user, 'initial-pass-1')).toBe(false);
    expect((await rc.value(arn, 'AWSPREVIOUS')).password).toBe('initial-pass-1');
    expect(audit.filter((e) => e['detail-type'] === 'Rotation Step Succeeded').map((e) => e.detail.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
  });

  it('alternating users: the clone gets the same grants, AWSCURRENT names the other user, both log in', async () => {
    const base = await createUser('base-pass-1');
    await asRoot(`GRANT SELECT ON ${DB}.orders TO ?@?`, [base, '%']);
    const admin = await createUser('admin-pass-1', `rcpadmin${process.pid % 10000}`);
    await asRoot('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [admin, '%']);
    const { arn: masterArn } = await rc.createSecret(secretFor(admin, 'admin-pass-1'), ADMIN_TAGS);
    const { arn } = await rc.createSecret(secretFor(base, 'base-pass-1', { masterarn: masterArn, dbname: DB }), TEAM_TAGS);

    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const current = await rc.value(arn);
    expect(current.username).toBe(`${base}_clone`);
    expect(current.dbname).toBe(DB);
    expect(await logsIn(base, 'base-pass-1')).toBe(true);
    const clone = await mysql.createConnection({ host: '127.0.0.1', user: `${base}_clone`, password: current.password as string, database: DB });
    await clone.query('SELECT * FROM orders');
    await clone.end();

    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const back = await rc.value(arn);
    expect(back.username).toBe(base);
    expect(await logsIn(base, back.password as string)).toBe(true);
    expect(await logsIn(`${base}_clone`, current.password as string)).toBe(true);
  });

  it('alternating users: a grant revoked from the original user does not survive on its clone', async () => {
    const base = await createUser('revoke-pass-1');
    await asRoot(`GRANT SELECT, DELETE ON ${DB}.orders TO ?@?`, [base, '%']);
    const admin = await createUser('admin-pass-2', `rcpadm2${process.pid % 10000}`);
    await asRoot('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [admin, '%']);
    const { arn: masterArn } = await rc.createSecret(secretFor(admin, 'admin-pass-2'), ADMIN_TAGS);
    const { arn } = await rc.createSecret(secretFor(base, 'revoke-pass-1', { masterarn: masterArn }), TEAM_TAGS);
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded'); // clone made, with DELETE
    await asRoot(`REVOKE DELETE ON ${DB}.orders FROM ?@?`, [base, '%']);
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded'); // back to the original
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded'); // to the clone again: grants re-synced
    const grants = (await asRoot('SHOW GRANTS FOR ?@?', [`${base}_clone`, '%'])) as Array<Record<string, string>>;
    const text = grants.map((g) => Object.values(g)[0]).join('\n');
    expect(text).toContain('SELECT');
    expect(text).not.toContain('DELETE');
  });

  it('keeps new passwords out of the error when the server quotes a rejected statement', () => {
    const err = Object.assign(new Error("You have an error in your SQL syntax; near '() IDENTIFIED BY 'NEW-SECRET-PW'' at line 1"), { code: 'ER_PARSE_ERROR', errno: 1064 });
    const reported = classify(err, 'mysql 127.0.0.1:3306', { engine: 'mysql', host: 'h', port: 3306, username: 'u', password: 'OLD-PW' }, ['NEW-SECRET-PW']);
    expect(reported.message).not.toContain('NEW-SECRET-PW');
    const other = classify(new Error('odd failure mentioning NEW-SECRET-PW and OLD-PW'), 'mysql', { engine: 'mysql', host: 'h', port: 3306, username: 'u', password: 'OLD-PW' }, ['NEW-SECRET-PW']);
    expect(other.message).not.toMatch(/NEW-SECRET-PW|OLD-PW/);
  });

  it('handles a quoted user name and every allowed password character', async () => {
    const allowed = [...`abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789${PUNCTUATION}`]
      .filter((c) => !mysqlPlugin.passwordPolicy.excludeCharacters.includes(c))
      .join('');
    const user = await createUser(allowed, `o'q"${process.pid % 1000}`);
    const { arn } = await rc.createSecret(secretFor(user, allowed));
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    expect(await logsIn(user, (await rc.value(arn)).password as string)).toBe(true);
    expect(await logsIn(user, allowed)).toBe(false);
  });

  it('fails with the cause and leaves the credential working when the password is wrong', async () => {
    const user = await createUser('kept-pass-1');
    const { arn } = await rc.createSecret(secretFor(user, 'not-the-password'));
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationFailed');
    expect(audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!.detail).toMatchObject({ step: 'setSecret', errorClass: 'AuthenticationFailed' });
    expect(await logsIn(user, 'kept-pass-1')).toBe(true);
  });

  it('never writes a password to a log line or an event', async () => {
    const canary = `CANARY${randomUUID().replaceAll('-', '')}`;
    const user = await createUser(canary);
    const { arn } = await rc.createSecret(secretFor(user, canary));
    expect((await rc.rotate(arn)).outcome).toBe('RotationSucceeded');
    const published = await everythingPublished(rc);
    expect(published).toContain(arn);
    expect(published).not.toContain(canary);
    expect(published).not.toContain((await rc.value(arn)).password as string);
  });
});
