/**
 * The control plane as CDK constructs, for a platform team's own CDK app or pipeline:
 *
 *   import { SecretRotationControlPlane } from 'secret-rotation-control-plane/cdk';
 *   new SecretRotationControlPlane(app, 'Prod', { env, teamPrincipals, organization, placements });
 *
 * and the member-account stacks, whose synthesised templates a StackSet deploys.
 */
export { SecretRotationControlPlane, type SecretRotationControlPlaneProps } from './lib/control-plane-stage.ts';
export { AuditStack, type AuditStackProps } from './lib/audit-stack.ts';
export { RotatorStack, type RotatorStackProps, type RotatorPlacement } from './lib/rotator-stack.ts';
export { ControlPlaneStack, type ControlPlaneStackProps } from './lib/control-plane-stack.ts';
export { OnboardingWorkflow } from './lib/onboarding-workflow.ts';
export { MemberRolesStack, MEMBER_ROLE_TRUST } from './lib/member-roles-stack.ts';
export { MemberForwardingStack, FORWARDED_API_CALLS, FORWARDED_SERVICE_EVENTS } from './lib/member-forwarding-stack.ts';
export { TemplateOnlyStack } from './lib/template-only-stack.ts';
export type { OrganizationSettings } from './lib/organization.ts';
export { CENTRAL_ROLE_PREFIX, centralRoleName } from './lib/central-role-names.ts';
export { checkedSettings, settingsFromContext, CONTEXT, type StageSettings } from './lib/stage-settings.ts';
export { MEMBER_ROLES, memberRoleArn } from '../../shared/names.ts';
