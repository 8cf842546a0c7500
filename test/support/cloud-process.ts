import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

export interface CloudProcess {
  url: string;
  /** The process id (the bench reads its CPU time). */
  pid: number;
  stateDir: string;
  output(): string;
  /** Graceful stop (SIGTERM), as a user's Ctrl-C. */
  stop(): Promise<void>;
  /** No chance to flush anything: what a crash leaves behind. */
  kill(): Promise<void>;
}

export async function tempStateDir(prefix: string): Promise<string> {
  const base = join(PROJECT_ROOT, '.test-tmp');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(base, { recursive: true });
  return mkdtemp(join(base, `${prefix}-`));
}

/**
 * Starts `npm run cloud`'s entry point as its own process on a free port, so tests talk to it only
 * over HTTP, exactly as the SDK, the aws CLI and boto3 do.
 */
export async function startCloudProcess(options: { stateDir: string; env?: Record<string, string>; port?: number }): Promise<CloudProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_ROOT, 'infra/local/cloud-main.ts'), '--port', String(options.port ?? 0), '--state-dir', options.stateDir],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, LOCAL_CLOUD_SCHEDULER_MS: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));

  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`local cloud did not start within 90 s:\n${output}`)), 90_000);
    const check = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local cloud exited with ${code} before listening:\n${output}`));
    });
  });

  return {
    url,
    pid: child.pid!,
    stateDir: options.stateDir,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
