import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPasswordPostgres as start, type PasswordPostgres } from '../../infra/local/password-postgres.ts';

export type { PasswordPostgres };

/** A throwaway password-checking PostgreSQL for one test file. */
export async function startPasswordPostgres(): Promise<PasswordPostgres> {
  return start({ dir: await mkdtemp(join(tmpdir(), 'rcp-pg-')) });
}
