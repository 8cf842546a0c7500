import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** Something the embedded default cannot start with, and the setting that fixes it. */
export class StartupError extends Error {}

/** Whether something already listens on (or holds) this port on the loopback address. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(false)));
  });
}

/** Refuses to start half the product: every port is checked first, and a taken one names its setting. */
export async function checkPortsFree(ports: Array<{ port: number; setting: string; what: string }>): Promise<void> {
  for (const { port, setting, what } of ports) {
    if (port !== 0 && (await portTaken(port))) {
      throw new StartupError(`port ${port} for the ${what} is taken (another npm start, or another program?): stop it, or set ${setting} to a free port, e.g. ${setting}=${port + 10000} npm start`);
    }
  }
}

/** A port setting: a whole number from 0 (any free port) to 65535. */
export function portSetting(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new StartupError(`${name} must be a port number from 0 to 65535, got "${text}"`);
  return value;
}

/**
 * The state folder, ready for the demo PostgreSQL, which runs as the `postgres` user when npm start
 * runs as root: that user must be able to pass through the folder (not list it; its files stay 0600).
 * A folder made with `mktemp -d` is 0700; the product makes it passable instead of failing.
 */
export async function prepareStateDir(dir: string): Promise<string> {
  const path = resolve(dir);
  await mkdir(path, { recursive: true, mode: 0o711 });
  if (process.getuid?.() === 0) {
    const { mode, uid } = await stat(path);
    if ((mode & 0o001) === 0) {
      if (uid !== 0) throw new StartupError(`the demo PostgreSQL runs as the postgres user, who cannot enter ${path}: allow it (chmod o+x ${path}) or set LOCAL_CLOUD_DIR to another folder`);
      await chmod(path, (mode & 0o777) | 0o011);
    }
  }
  return path;
}

/**
 * The demo team's bearer token: made once and kept in the state folder, so a token exported in
 * another terminal keeps working across restarts.
 */
export async function demoToken(stateDir: string, fileName = 'demo-token'): Promise<string> {
  const file = join(stateDir, fileName);
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (/^[A-Za-z0-9_-]{16,}$/.test(token)) return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(16).toString('hex');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}
