/**
 * The names the parts of the product agree on: tags on secrets and the AWS resources the stacks
 * create. The CDK app, the Lambdas and the embedded default all read them from here.
 */

/** Tags the control plane reads and writes on secrets. */
export const TAGS = {
  /** The owning team, set by the owner (tagging needs IAM rights on the secret, so it proves them); never set or removed by the control plane. */
  team: 'rcp:team',
  /** The rotator's role may rotate only secrets tagged `true`. */
  managed: 'rcp:managed',
  /** Set by onboarding before its preflight: the rotator may then read (not write) the secret. */
  onboardingId: 'rcp:onboarding-id',
  /** single-user, alternating-users or dual-password. */
  strategy: 'rcp:rotation-strategy',
  /** The service type of a secret whose value has no `engine` key. */
  serviceType: 'rcp:service-type',
  /** An admin credential that a secret's masterarn may name: readable by the rotator, never writable. */
  adminCredential: 'rcp:admin-credential',
} as const;

/** The tags onboarding may add, and offboarding or compensation remove (never the owner's team tag). */
export const ONBOARDING_TAGS = [TAGS.managed, TAGS.strategy, TAGS.serviceType, TAGS.onboardingId];

/** Resource names, overridable through the environment the stacks set. */
export const RESOURCES = {
  controlPlaneTable: 'rcp-control-plane',
  rotatorIdempotencyTable: 'rcp-rotator-idempotency',
  apiIdempotencyTable: 'rcp-api-idempotency',
  auditBus: 'rcp-audit',
} as const;

export const controlPlaneTable = () => process.env.RCP_TABLE_NAME ?? RESOURCES.controlPlaneTable;
export const rotatorIdempotencyTable = () => process.env.IDEMPOTENCY_TABLE_NAME ?? RESOURCES.rotatorIdempotencyTable;
export const apiIdempotencyTable = () => process.env.API_IDEMPOTENCY_TABLE_NAME ?? RESOURCES.apiIdempotencyTable;
export const auditBusName = () => process.env.AUDIT_BUS_NAME ?? RESOURCES.auditBus;
