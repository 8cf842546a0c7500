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

/** Resource names; the stacks pass them to each function's environment (shared/runtime/settings.ts reads them). */
export const RESOURCES = {
  controlPlaneTable: 'rcp-control-plane',
  rotatorIdempotencyTable: 'rcp-rotator-idempotency',
  apiIdempotencyTable: 'rcp-api-idempotency',
  auditBus: 'rcp-audit',
  /** Each secret's audit events, by secret, newest first (GET /v1/secrets/{secretId}/events). */
  auditTrailTable: 'rcp-audit-trail',
  /** The central account's bus that member accounts forward their Secrets Manager events to. */
  orgEventsBus: 'rcp-org-events',
} as const;

/**
 * The roles every member account of an organisation deploys (the RcpMemberRoles stack), by fixed
 * name so the central account can compute `arn:<partition>:iam::<member>:role/<name>`.
 */
export const MEMBER_ROLES = {
  /** Describe, tag with the product's tags, rotate, cancel: never a secret's value. */
  onboarding: 'rcp-member-onboarding',
  /** What the fleet rotator does to a managed secret, values included. */
  rotation: 'rcp-member-rotation',
  /** List and describe, for compliance; reading values is denied. */
  inventory: 'rcp-member-inventory',
} as const;

export const memberRoleArn = (accountId: string, role: keyof typeof MEMBER_ROLES, partition = 'aws') => `arn:${partition}:iam::${accountId}:role/${MEMBER_ROLES[role]}`;


/**
 * The console's Cognito user pool: a user's groups say whom they act for. `team-<name>` makes the
 * user a member of team <name> (one team per user); `auditors` lets them read the organisation's compliance.
 */
export const COGNITO_GROUPS = { teamPrefix: 'team-', auditors: 'auditors' } as const;
