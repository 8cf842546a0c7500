import { z } from 'zod';
import { ERROR_CLASSES } from '../errors/rotation-error.ts';

/** The audit events every part of the product emits: one bus, one source, a closed list of detail types. */
export const AUDIT_SOURCE = 'secret-rotation-control-plane';
export const DEFAULT_AUDIT_BUS = 'rcp-audit';

export const DETAIL_TYPES = [
  'Onboarding Requested',
  'Onboarding Step Succeeded',
  'Onboarding Step Failed',
  'Onboarding Succeeded',
  'Onboarding Failed',
  'Offboarded',
  'Rotation Step Succeeded',
  'Rotation Step Failed',
  'Rotation Succeeded',
  'Rotation Failed',
  'Compliance Evaluated',
] as const;
export type DetailType = (typeof DETAIL_TYPES)[number];

/**
 * Every event's `detail`. Strict: a field not listed here is refused, so a value can't slip into
 * an event by accident. It carries identifiers, outcomes and error classes, never a secret value.
 */
export const auditDetailSchema = z
  .object({
    secretArn: z.string().startsWith('arn:'),
    account: z.string().regex(/^\d{12}$/),
    region: z.string().min(1),
    onboardingId: z.string().optional(),
    rotationToken: z.string().optional(),
    step: z.string().min(1),
    outcome: z.enum(['succeeded', 'failed']),
    errorClass: z.enum(ERROR_CLASSES).optional(),
    errorMessage: z.string().max(1024).optional(),
    durationMs: z.number().nonnegative(),
    actor: z.string().min(1),
    engine: z.string().optional(),
    strategy: z.string().optional(),
    /** How the rotator reached the service: `verified-tls`, `plaintext` (ssl false), or `plaintext-fallback` (TLS refused, ssl unset). */
    transport: z.enum(['verified-tls', 'plaintext', 'plaintext-fallback', 'https', 'http']).optional(),
    username: z.string().optional(),
  })
  .strict();
export type AuditDetail = z.infer<typeof auditDetailSchema>;

/** The JSON Schema of `detail`, for consumers outside this code base (archive queries, dashboards). */
export const auditDetailJsonSchema = () => z.toJSONSchema(auditDetailSchema);
