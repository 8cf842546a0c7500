import * as z from 'zod/mini';
import { STEPS, STRATEGIES } from '../types.ts';

/**
 * What Secrets Manager sends for each step. `RotationToken` (cross-account rotation) is passed back
 * on PutSecretValue and never logged: AWS keeps it out of CloudTrail too.
 */
export const stepEventSchema = z.object({
  Step: z.enum(STEPS),
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(1)),
  RotationToken: z.optional(z.string()),
});
export type StepEvent = z.infer<typeof stepEventSchema>;

/** Onboarding asks the rotator (the only role that reads secret values) whether a secret can be rotated. */
export const preflightEventSchema = z.object({
  Step: z.literal('preflight'),
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(1)),
  Strategy: z.optional(z.enum(STRATEGIES)),
  ServiceType: z.optional(z.string()),
});
export type PreflightEvent = z.infer<typeof preflightEventSchema>;

export const isPreflight = (event: unknown): boolean => (event as { Step?: unknown } | null)?.Step === 'preflight';
