import * as z from 'zod/mini';
import { ERROR_CLASSES } from '../errors/rotation-error.ts';
import { STRATEGIES, TRANSPORTS } from '../rotation/vocabulary.ts';

/** The audit events every part of the product emits: one bus, one source, a closed list of detail types. */
export const AUDIT_SOURCE = 'secret-rotation-control-plane';

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
  'Compliance Changed',
] as const;
export type DetailType = (typeof DETAIL_TYPES)[number];
/** The detail types whose `detail` is an AuditDetail (onboarding and rotation); compliance has its own. */
export type StepDetailType = Exclude<DetailType, 'Compliance Evaluated' | 'Compliance Changed'>;

/**
 * Every event's `detail`. Strict: a field not listed here is refused, so a value can't slip into
 * an event by accident. It carries identifiers, outcomes and error classes, never a secret value.
 */
const nonEmpty = () => z.string().check(z.minLength(1));
export const auditDetailSchema = z.strictObject({
  /** The secret's ARN once known; before that (a secret that could not be found) the id as requested. */
  secretArn: nonEmpty(),
  account: z.string().check(z.regex(/^\d{12}$/)),
  region: nonEmpty(),
  onboardingId: z.optional(z.string()),
  /** The rotation's version id (ClientRequestToken). Never Secrets Manager's RotationToken, which is a credential. */
  rotationToken: z.optional(z.string()),
  step: nonEmpty(),
  outcome: z.enum(['succeeded', 'failed']),
  errorClass: z.optional(z.enum(ERROR_CLASSES)),
  errorMessage: z.optional(z.string().check(z.maxLength(1024))),
  durationMs: z.number().check(z.nonnegative()),
  actor: nonEmpty(),
  engine: z.optional(z.string()),
  strategy: z.optional(z.enum(STRATEGIES)),
  /** How the rotator reached the service: `verified-tls`, `plaintext` (ssl false), or `plaintext-fallback` (TLS refused, ssl unset). */
  transport: z.optional(z.enum(TRANSPORTS)),
  username: z.optional(z.string()),
});
export type AuditDetail = z.infer<typeof auditDetailSchema>;

/** The JSON Schema of `detail`, for consumers outside this code base (archive queries, dashboards). */
export const auditDetailJsonSchema = () => z.toJSONSchema(auditDetailSchema);

const findingState = () => z.enum(['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE']);

/** `Compliance Evaluated`: one per evaluation (full, requested, or one secret after its event), with its figures. */
export const complianceEvaluatedSchema = z.strictObject({
  evaluationId: nonEmpty(),
  trigger: z.enum(['schedule', 'request', 'event']),
  account: z.string().check(z.regex(/^\d{12}$/)),
  region: nonEmpty(),
  outcome: z.enum(['succeeded', 'failed']),
  secrets: z.number().check(z.nonnegative()),
  compliant: z.number().check(z.nonnegative()),
  nonCompliant: z.number().check(z.nonnegative()),
  compliantPercent: z.number().check(z.nonnegative()),
  listSecretsCalls: z.number().check(z.nonnegative()),
  durationMs: z.number().check(z.nonnegative()),
  /** The one secret an event re-evaluated. */
  secretArn: z.optional(nonEmpty()),
  errorMessage: z.optional(z.string().check(z.maxLength(1024))),
  actor: nonEmpty(),
});
export type ComplianceEvaluatedDetail = z.infer<typeof complianceEvaluatedSchema>;

/** `Compliance Changed`: a secret became compliant or non-compliant (route it to chat or tickets with a rule). */
export const complianceChangedSchema = z.strictObject({
  secretArn: nonEmpty(),
  account: z.string().check(z.regex(/^\d{12}$/)),
  region: nonEmpty(),
  team: z.optional(nonEmpty()),
  evaluationId: nonEmpty(),
  from: z.enum(['COMPLIANT', 'NON_COMPLIANT', 'UNKNOWN']),
  to: z.enum(['COMPLIANT', 'NON_COMPLIANT']),
  /** The rules whose state changed, with their new state and reason (never a value). */
  changes: z.array(z.strictObject({ rule: nonEmpty(), from: z.optional(findingState()), to: findingState(), reason: z.string().check(z.maxLength(1024)) })),
  failingRules: z.array(nonEmpty()),
  actor: nonEmpty(),
});
export type ComplianceChangedDetail = z.infer<typeof complianceChangedSchema>;

/** The schema of each detail type's `detail`. */
export function detailSchemaFor(detailType: DetailType) {
  if (detailType === 'Compliance Evaluated') return complianceEvaluatedSchema;
  if (detailType === 'Compliance Changed') return complianceChangedSchema;
  return auditDetailSchema;
}
