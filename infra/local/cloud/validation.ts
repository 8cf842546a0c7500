import { z } from 'zod';
import { AwsError } from './errors.ts';

/**
 * Checks an operation's input against its shape and reports violations the way AWS's request
 * validation does ("1 validation error detected: Value at 'Name' failed to satisfy constraint: ...").
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, errorCode = 'ValidationException'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const details = issues.map((issue) => {
    const at = issue.path.length ? issue.path.join('.') : 'input';
    return `Value at '${at}' failed to satisfy constraint: ${issue.message}`;
  });
  throw new AwsError(errorCode, `${issues.length} validation error${issues.length > 1 ? 's' : ''} detected: ${details.join('; ')}`);
}

export const epochSeconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

/** Opaque pagination tokens: the position to resume from, checked on the way back in. */
export function encodeNextToken(position: number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

export function decodeNextToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const { p } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { p: unknown };
    if (typeof p === 'number' && Number.isInteger(p) && p >= 0) return p;
  } catch {
    // fall through to the error below
  }
  throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
}

/**
 * Drops undefined members so responses carry only the fields that have values, as AWS's do
 * (JSON.stringify leaves them out anyway; this is for answers read in-process).
 */
export function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as Partial<T>;
}
