import type { OnboardingRequest } from '../../shared/contract/types.ts';
import type { Strategy, Transport } from '../../shared/rotation/vocabulary.ts';
import type { RotationRules } from '../../shared/schedule/rotation-schedule.ts';

export type { OnboardingRequest };

/** What the secret looked like before this onboarding changed anything: compensation restores to it. */
export interface SecretSnapshot {
  secretArn: string;
  rules: RotationRules;
  claimed: boolean;
  tagKeysBefore: string[];
  rotationEnabledBefore: boolean;
}

export interface PreflightFindings {
  engine: string;
  strategy: Strategy;
  username: string;
  transport: Transport;
  /** A version an unfinished rotation left with AWSPENDING; safe to clear (the current credential works). */
  strayPendingVersion?: string;
}

/**
 * The workflow's state: the input, and one member per step that the step's task writes (the
 * definition's ResultPath). Compensation reads it to undo exactly what was done.
 */
export interface OnboardingState {
  onboardingId: string;
  actor: string;
  request: OnboardingRequest;
  validate?: SecretSnapshot;
  network?: { rotatorArn: string; placement: string };
  preflight?: PreflightFindings;
  permission?: { rotatorArn: string; added: boolean };
  tags?: { added: string[] };
  rotation?: { configured: boolean; versionId?: string; startedAt: number; clearedPending?: string };
  /** What resumed the wait for the first rotation (SendTaskSuccess's output). */
  firstRotation?: { status: 'succeeded'; versionId: string };
  error?: { Error: string; Cause?: string };
}

/** How long the workflow waits for its first rotation's event before giving up (Secrets Manager retries a failed rotation meanwhile). */
export const FIRST_ROTATION_TIMEOUT_MINUTES = 30;

/**
 * The workflow's Task states, by name (the CDK definition names its states after them, and each
 * step function serves one). The order in which they run is the definition's, in infra/aws.
 */
export const STEP_NAMES = [
  'Validate',
  'EnsureNetwork',
  'Preflight',
  'EnsureInvokePermission',
  'TagSecret',
  'ConfigureRotation',
  'AwaitFirstRotation',
  'RecordSuccess',
  'Compensate',
  'RecordFailure',
] as const;
export type StepName = (typeof STEP_NAMES)[number];
