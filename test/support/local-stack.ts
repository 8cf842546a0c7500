import { spawn, type ChildProcess } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../infra/local/password-postgres.ts';
import { PROJECT_ROOT, tempStateDir } from './cloud-process.ts';
import { eventually } from './eventually.ts';

export const TOKENS = { a: 'token-of-team-a-0001', b: 'token-of-team-b-0002' };

export interface LocalStack {
  apiUrl: string;
  cloudUrl: string;
  stateDir: string;
  /** Everything the process printed (every run of it). */
  output(): string;
  /** Graceful stop (SIGTERM), as a user's Ctrl-C. */
  stop(): Promise<void>;
  /** SIGKILL: what a crash (or a machine restart) leaves behind. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and state folder, and waits until it is ready. */
  restart(): Promise<void>;
}

/**
 * `npm start`'s whole stack in its own process, on free ports and a state folder of its own; tests
 * talk to it only over HTTP, as a user's tools would.
 */
export async function startLocalStack(options: { prefix: string; env?: Record<string, string> }): Promise<LocalStack> {
  const [cloudPort, apiPort, demoPort] = [await freePort(), await freePort(), await freePort()];
  const stateDir = await tempStateDir(options.prefix);
  await chmod(stateDir, 0o711); // the demo PostgreSQL runs as the postgres user inside it
  let output = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const from = output.length;
    child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'infra/local/start.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        LOCAL_CLOUD_DIR: stateDir,
        LOCAL_CLOUD_PORT: String(cloudPort),
        PORT: String(apiPort),
        DEMO_POSTGRES_PORT: String(demoPort),
        RCP_TOKENS: `team-a:${TOKENS.a},team-b:${TOKENS.b}`,
        ROTATOR_CONNECT_TIMEOUT_MS: '2000',
        // The compliance demo's seeded secrets and clock move: only the tests that ask for them.
        RCP_DEMO_COMPLIANCE: '0',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running = child;
    running.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    running.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    exited = new Promise((resolve) => running.once('exit', () => resolve()));
    await eventually(
      'npm start to be ready',
      async () => {
        if (running.exitCode !== null) throw new Error(`npm start exited with ${running.exitCode}:\n${output.slice(from)}`);
        return /^ready$/m.test(output.slice(from)) ? true : undefined;
      },
      90_000,
      100,
    );
  }

  const signal = async (name: NodeJS.Signals) => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill(name);
      await exited;
    }
  };

  await launch();
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    cloudUrl: `http://127.0.0.1:${cloudPort}`,
    stateDir,
    output: () => output,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    restart: launch,
  };
}
