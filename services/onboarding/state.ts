import type { RotationRules } from '../../shared/schedule/rotation-schedule.ts';

/** What the API puts in, as the onboarding workflow's input. */
export interface OnboardingRequest {
  secretId: string;
  serviceType?: string;
  strategy?: 'single-user' | 'alternating-users' | 'dual-password';
  schedule: string;
  window?: string;
  rotateImmediately?: boolean;
  network?: { vpcId: string; subnetIds: string[]; securityGroupIds: string[] };
  team: string;
}

/**
 * The workflow's state: the input, and one member per step that the step's task writes (the
 * definition's ResultPath). Compensation reads it to undo exactly what was done.
 */
export interface OnboardingState {
  onboardingId: string;
  actor: string;
  request: OnboardingRequest;
  /** What the secret looked like before this onboarding changed anything: compensation restores to it. */
  validate?: { secretArn: string; rules: RotationRules; claimed: boolean; tagKeysBefore: string[]; rotationEnabledBefore: boolean };
  preflight?: { engine: string; strategy: string; username: string; transport: string };
  permission?: { rotatorArn: string; added: boolean };
  network?: { rotatorArn: string; placement: string };
  tags?: { added: string[] };
  rotation?: { configured: boolean; versionId?: string; startedAt: number };
  firstRotation?: { status: 'pending' | 'succeeded'; checks: number };
  error?: { Error: string; Cause?: string };
}

export const STEP_NAMES = [
  'Validate',
  'Preflight',
  'EnsureInvokePermission',
  'EnsureNetwork',
  'TagSecret',
  'ConfigureRotation',
  'CheckFirstRotation',
  'RecordSuccess',
  'Compensate',
  'RecordFailure',
] as const;
export type StepName = (typeof STEP_NAMES)[number];
