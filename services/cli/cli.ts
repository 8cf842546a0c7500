import { InvalidArgumentError, type Command } from 'commander';
import { apiClient, ApiError, type Api } from './api-client.ts';

/** What every rotctl command shares: the API client from the environment, output, and how failures are said. */
export const DEFAULT_URL = 'http://127.0.0.1:3000';
export const api = (): Api => apiClient(process.env.RCP_API_URL || DEFAULT_URL, process.env.RCP_TOKEN);
export const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

/** Whether --json was given (a global option). */
export const wantsJson = (command: Command): boolean => Boolean(command.optsWithGlobals().json);

export function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('give a whole number above 0');
  return value;
}

export const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

/** Runs a command: its return value is the exit code; an API problem is said once, with each field it names. */
export async function run(action: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await action()) ?? 0;
  } catch (err) {
    if (err instanceof ApiError) {
      const detail = err.problem.detail ?? err.message;
      console.error(`error: ${detail} (HTTP ${err.status})`);
      // Field-by-field details, unless the sentence above already says them.
      for (const e of err.problem.errors ?? []) if (!detail.includes(e.message)) console.error(`  ${e.path}: ${e.message}`);
    } else console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
