import * as z from 'zod/mini';

/**
 * The keys every secret shares (AWS's template names), for plugins to extend with their own
 * defaults. zod/mini keeps the rotator's bundle small (the classic API alone is ~440 KB).
 */
export const port = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(65_535)), fallback);
export const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

export function credentialSchema(engines: readonly [string, ...string[]], defaultPort: number) {
  return z.looseObject({
    engine: z.enum(engines),
    host: text(255),
    port: port(defaultPort),
    username: text(128),
    password: text(4096),
    ssl: z.optional(z.boolean()),
    masterarn: z.optional(z.string().check(z.startsWith('arn:'))),
  });
}
