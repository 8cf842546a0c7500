import { z } from 'zod';

/** The keys every secret shares (AWS's template names), for plugins to extend with their own defaults. */
export function credentialSchema(engines: readonly [string, ...string[]], defaultPort: number) {
  return z
    .object({
      engine: z.enum(engines),
      host: z.string().min(1).max(255),
      port: z.coerce.number().int().min(1).max(65_535).default(defaultPort),
      username: z.string().min(1).max(128),
      password: z.string().min(1).max(4096),
      ssl: z.boolean().optional(),
      masterarn: z.string().startsWith('arn:').optional(),
    })
    .passthrough();
}
