import { randomInt } from 'node:crypto';
import type { PasswordPolicy } from './types.ts';

const CLASSES = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];

/**
 * A new password with the rules GetRandomPassword applies by default (lower and upper case,
 * digits and punctuation, no space, at least one of each class left after the plugin's exclusions),
 * drawn from Node's CSPRNG in the function itself: no call, and no share of Secrets Manager's
 * GetRandomPassword quota (50/s per account-region), which a burst of rotations would exhaust.
 */
export function newPassword(policy: PasswordPolicy): string {
  const excluded = new Set(policy.excludeCharacters);
  const classes = CLASSES.map((chars) => [...chars].filter((c) => !excluded.has(c)).join('')).filter((chars) => chars.length > 0);
  if (classes.length === 0 || policy.length < classes.length) throw new Error('the password policy leaves no characters to draw from');
  const all = classes.join('');
  const chars = Array.from({ length: policy.length }, () => all[randomInt(all.length)]!);
  // One of each class at distinct random places, as RequireEachIncludedType does.
  const places = [...chars.keys()];
  for (const pool of classes) {
    const at = places.splice(randomInt(places.length), 1)[0]!;
    chars[at] = pool[randomInt(pool.length)]!;
  }
  return chars.join('');
}
