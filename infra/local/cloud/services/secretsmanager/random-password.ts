import { randomInt } from 'node:crypto';
import { invalidParameter } from '../../errors.ts';

export interface PasswordRequest {
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeLowercase?: boolean;
  IncludeSpace?: boolean;
  RequireEachIncludedType?: boolean;
}

export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const CLASSES = {
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numbers: '0123456789',
  punctuation: PUNCTUATION,
} as const;

/**
 * GetRandomPassword: a cryptographically random password from the included character classes,
 * with at least one character of each class unless `RequireEachIncludedType` is false. Space is
 * never required, as in the service.
 */
export function randomPassword(request: PasswordRequest): string {
  const length = request.PasswordLength ?? 32;
  const excluded = new Set(request.ExcludeCharacters ?? '');
  const keep = (chars: string) => [...chars].filter((c) => !excluded.has(c)).join('');
  const classes: string[] = [];
  if (!request.ExcludeLowercase) classes.push(CLASSES.lowercase);
  if (!request.ExcludeUppercase) classes.push(CLASSES.uppercase);
  if (!request.ExcludeNumbers) classes.push(CLASSES.numbers);
  if (!request.ExcludePunctuation) classes.push(CLASSES.punctuation);
  const available = classes.map(keep);
  const space = request.IncludeSpace && !excluded.has(' ') ? ' ' : '';
  const alphabet = available.join('') + space;
  if (alphabet.length === 0) throw invalidParameter('All characters have been excluded from selection');
  const requireEach = request.RequireEachIncludedType ?? true;
  const required = requireEach ? available : [];
  if (required.some((chars) => chars.length === 0)) throw invalidParameter('All characters of the desired type have been excluded');
  if (required.length > length) throw invalidParameter('Password length is too short based on the required types');

  const chars = required.map((pool) => pool[randomInt(pool.length)]!);
  while (chars.length < length) chars.push(alphabet[randomInt(alphabet.length)]!);
  // Shuffle so the required characters are not always at the front (Fisher-Yates).
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
