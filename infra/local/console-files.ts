import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CONSOLE_ROOT = join(PROJECT_ROOT, 'services/console');
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');
const STAMP = '.source-hash';

/** What the built console is made of: its own files, the contract types it uses, and the locked dependencies. */
function sourceFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
  return [
    ...walk(join(CONSOLE_ROOT, 'src')),
    ...walk(join(CONSOLE_ROOT, 'public')),
    join(CONSOLE_ROOT, 'index.html'),
    join(CONSOLE_ROOT, 'vite.config.ts'),
    ...walk(join(PROJECT_ROOT, 'shared/contract')),
    join(PROJECT_ROOT, 'package-lock.json'),
  ].sort();
}

/** A hash of the sources' contents (not their times: a fresh clone gives every file the same time). */
export function consoleSourceHash(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles()) hash.update(relative(PROJECT_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

export function consoleIsFresh(): boolean {
  const stamp = join(CONSOLE_DIST, STAMP);
  return existsSync(join(CONSOLE_DIST, 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === consoleSourceHash();
}

/**
 * Builds the console when dist/ is missing or older than its sources (a fresh clone, an edit), so
 * `npm start` and the tests always serve the current console. It builds into a folder of its own
 * and swaps it in, so a server reading dist/ never sees half a build.
 */
export async function ensureConsoleBuilt(log: (line: string) => void = () => undefined): Promise<{ built: boolean; dir: string }> {
  if (consoleIsFresh()) return { built: false, dir: CONSOLE_DIST };
  log('building the web console (services/console) ...');
  return buildConsole();
}

/** Builds the console now, whatever is in dist/. */
export async function buildConsole(): Promise<{ built: boolean; dir: string }> {
  const hash = consoleSourceHash();
  const staging = `${CONSOLE_DIST}.${process.pid}-${Date.now()}`;
  const { build } = await import('vite');
  await build({ configFile: join(CONSOLE_ROOT, 'vite.config.ts'), build: { outDir: staging, emptyOutDir: true }, logLevel: 'warn' });
  await writeFile(join(staging, STAMP), hash);
  const old = `${CONSOLE_DIST}.old-${process.pid}-${Date.now()}`;
  await rename(CONSOLE_DIST, old).catch(() => undefined);
  try {
    await rename(staging, CONSOLE_DIST);
  } catch (err) {
    // Another process (a second npm start) swapped its build in first: the same sources, so keep that one.
    await rm(staging, { recursive: true, force: true });
    if (!consoleIsFresh()) throw err;
  }
  await rm(old, { recursive: true, force: true });
  return { built: true, dir: CONSOLE_DIST };
}

/** Headers of every console file: hashed assets are cached for good; the page itself is checked each time. */
function setHeaders(res: ServerResponse, pathname: string): void {
  res.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

/**
 * The built console's files for the local API gateway: GET and HEAD of any path that is not the
 * API's; a path that is no file is one of the console's own views (a deep link), so it gets
 * index.html and the console's router shows the view.
 */
export function consoleFiles(dir = CONSOLE_DIST): (req: IncomingMessage, res: ServerResponse) => boolean {
  const serve = sirv(dir, { single: true, etag: true, dotfiles: false, setHeaders: (res, pathname) => setHeaders(res, pathname) });
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    serve(req, res);
    return true;
  };
}
