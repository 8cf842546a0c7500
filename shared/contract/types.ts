import type { components } from './openapi.ts';

/**
 * Names for the REST contract's types, all generated from openapi.yaml (`npm run gen:contract`):
 * the server, the workflow, rotctl and the console use these, never a hand-written copy.
 */
type Schemas = components['schemas'];
export type OnboardingRequest = Schemas['OnboardingRequest'];
export type Onboarding = Schemas['Onboarding'];
export type OnboardingStatus = Schemas['OnboardingStatus'];
export type StepOutcome = Schemas['StepOutcome'];
export type RotationState = Schemas['RotationState'];
export type ServiceType = Schemas['ServiceType'];
export type Problem = Schemas['Problem'];
export type NetworkPlacement = Schemas['NetworkPlacement'];

export { onboardingStatusValues, strategyValues, onboardingRequestServiceTypeValues as serviceTypeValues } from './openapi.ts';
export type OnboardingBatchRequest = Schemas['OnboardingBatchRequest'];
export type OnboardingBatchResult = Schemas['OnboardingBatchResult'];
export type SecretSummary = Schemas['SecretSummary'];
export type RotationFailure = Schemas['RotationFailure'];
export type AuditEventView = Schemas['AuditEvent'];
export type SchedulePreviewRequest = Schemas['SchedulePreviewRequest'];
export type SchedulePreview = Schemas['SchedulePreview'];
export type Account = Schemas['Account'];
export type RuleId = Schemas['RuleId'];
export type FindingState = Schemas['FindingState'];
export type ComplianceRule = Schemas['ComplianceRule'];
export type Finding = Schemas['Finding'];
export type ComplianceSummary = Schemas['ComplianceSummary'];
export type ComplianceCount = Schemas['ComplianceCount'];
export type SecretCompliance = Schemas['SecretCompliance'];
export type Evaluation = Schemas['Evaluation'];
export type RemediationRequest = Schemas['RemediationRequest'];

export { ruleIdValues, findingStateValues } from './openapi.ts';
