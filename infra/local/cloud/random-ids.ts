import { randomFillSync } from 'node:crypto';

/**
 * Random characters for ids (secret ARN suffixes, role ids, session keys) from a pool refilled
 * in bulk: one system call per few thousand ids instead of one per id, which matters when a
 * fleet of 100,000 secrets is created.
 */
const pool = Buffer.alloc(8192);
let next = pool.length;

export function randomChars(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    if (next >= pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    // 256 is not a multiple of every alphabet's length; the slight bias does not matter for ids.
    out += alphabet[pool[next++]! % alphabet.length];
  }
  return out;
}
