import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local/password-postgres.ts';
import { startRotatorCloud, type RotatorCloud } from '../../support/rotation-harness.ts';

// Two TLS-only Redis servers: one with a certificate from a CA the rotator is told to trust
// (NODE_EXTRA_CA_CERTS), one with a self-signed certificate it must refuse.
let dir: string;
let rc: RotatorCloud;
const servers: ChildProcess[] = [];
let trustedPort: number;
let untrustedPort: number;
let ca: string;

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

async function startTlsRedis(cert: string, key: string): Promise<number> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--dir', dir], {
    cwd: dir,
    stdio: 'ignore',
  });
  servers.push(child);
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      await redisAdmin(port, ['PING']);
      return port;
    } catch {
      // not up yet
    }
  }
  throw new Error('TLS redis-server did not start');
}

async function redisAdmin(port: number, args: string[], credentials: { username?: string; password?: string } = {}) {
  const client = createClient({ socket: { host: '127.0.0.1', port, tls: true, ca, servername: 'localhost', reconnectStrategy: false }, ...credentials });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcp-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=rcp test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'trusted.key', '-out', 'trusted.csr', '-subj', '/CN=localhost');
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'trusted.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'trusted.pem', '-days', '2', '-extfile', 'ext.cnf');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost');
  ca = await readFile(join(dir, 'ca.pem'), 'utf8');
  trustedPort = await startTlsRedis(join(dir, 'trusted.pem'), join(dir, 'trusted.key'));
  ca += await readFile(join(dir, 'self.pem'), 'utf8'); // the test itself trusts both, to set up users
  untrustedPort = await startTlsRedis(join(dir, 'self.pem'), join(dir, 'self.key'));
  rc = await startRotatorCloud('tls', { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
}, 60_000);

afterAll(async () => {
  for (const server of servers) server.kill();
  await rc?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it.each([
    ['"ssl": true', { ssl: true }],
    ['"ssl" unset', {}],
  ])('rotates over verified TLS with %s', async (_label, ssl) => {
    const username = `tls-${Math.random().toString(36).slice(2)}`;
    await redisAdmin(trustedPort, ['ACL', 'SETUSER', username, 'on', '>tls-pass-1', '~*', '+@all']);
    const { arn } = await rc.createSecret({ engine: 'redis', host: 'localhost', port: trustedPort, username, password: 'tls-pass-1', ...ssl });
    const { outcome, audit } = await rc.rotate(arn);
    expect(outcome).toBe('RotationSucceeded');
    expect(audit.find((e) => e.detail.step === 'testSecret')!.detail.transport).toBe('verified-tls');
    const password = (await rc.value(arn)).password as string;
    expect(await redisAdmin(trustedPort, ['PING'], { username, password })).toBe('PONG');
  });

  it('refuses a certificate it cannot verify, whether or not "ssl" is set, and never falls back to plaintext', async () => {
    for (const ssl of [{ ssl: true }, {}]) {
      const username = `untrusted-${Math.random().toString(36).slice(2)}`;
      await redisAdmin(untrustedPort, ['ACL', 'SETUSER', username, 'on', '>tls-pass-2', '~*', '+@all']);
      const { arn } = await rc.createSecret({ engine: 'redis', host: 'localhost', port: untrustedPort, username, password: 'tls-pass-2', ...ssl });
      const { outcome, audit } = await rc.rotate(arn);
      expect(outcome).toBe('RotationFailed');
      const failed = audit.find((e) => e['detail-type'] === 'Rotation Step Failed')!.detail;
      expect(failed.errorClass).toBe('TlsVerificationFailed');
      expect(failed.errorMessage).toContain('not trusted');
      expect(await redisAdmin(untrustedPort, ['PING'], { username, password: 'tls-pass-2' })).toBe('PONG');
    }
  });
});
