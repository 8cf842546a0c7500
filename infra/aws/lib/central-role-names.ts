import { Token } from 'aws-cdk-lib';

/**
 * Fixed names of the central account's Lambda execution roles. Member accounts trust these roles by
 * name (`aws:PrincipalArn` like `arn:…:role/<prefix>*`), so a role's name decides what it may do in
 * a member account. Names carry the region because IAM is global: the same stage deployed in two
 * regions of one account must not collide.
 */
export const CENTRAL_ROLE_PREFIX = {
  /** The fleet rotator and the rotators placed in VPCs: assume `rcp-member-rotation`. */
  rotator: 'rcp-central-rotator-',
  /** Each onboarding step: assume `rcp-member-onboarding`. */
  onboarding: 'rcp-central-onboarding-',
  /** The REST API: assumes `rcp-member-onboarding` (offboard, rotate now) and `rcp-member-inventory`. */
  api: 'rcp-central-api-',
  /** The compliance evaluator (services/compliance): assumes `rcp-member-inventory`. */
  compliance: 'rcp-central-compliance-',
} as const;

export type CentralRoleKind = keyof typeof CENTRAL_ROLE_PREFIX;

const IAM_ROLE_NAME_MAX = 64;
/**
 * When a stack is environment-agnostic the region is a token until deployment, so the name is
 * checked against the longest region name AWS uses (`us-isof-south-1`, 15 characters).
 */
const LONGEST_REGION_LENGTH = 15;
const QUALIFIER = /^[A-Za-z0-9]+$/;

/**
 * `rcp-central-<kind>-[<qualifier>-]<region>`: the qualifier is a step name or a placement name.
 * Throws, naming the part to shorten, when the name could exceed IAM's 64 characters.
 */
export function centralRoleName(kind: CentralRoleKind, region: string, qualifier?: string): string {
  if (qualifier !== undefined && !QUALIFIER.test(qualifier)) {
    throw new Error(`"${qualifier}" cannot be part of an IAM role name here: use letters and digits only`);
  }
  const stem = `${CENTRAL_ROLE_PREFIX[kind]}${qualifier ? `${qualifier}-` : ''}`;
  const regionLength = Token.isUnresolved(region) ? LONGEST_REGION_LENGTH : region.length;
  if (stem.length + regionLength > IAM_ROLE_NAME_MAX) {
    const room = IAM_ROLE_NAME_MAX - CENTRAL_ROLE_PREFIX[kind].length - 1 - LONGEST_REGION_LENGTH;
    throw new Error(`the role name ${stem}<region> would be longer than IAM's ${IAM_ROLE_NAME_MAX} characters: keep "${qualifier}" to ${room} characters`);
  }
  return `${stem}${region}`;
}

/** What a member role's trust policy matches: every central role of these kinds, in any region. */
export const centralRolePatterns = (kinds: CentralRoleKind[]) => kinds.map((kind) => `${CENTRAL_ROLE_PREFIX[kind]}*`);
