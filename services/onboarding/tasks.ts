import type { OnboardingDeps } from './deps.ts';
import type { OnboardingState, StepName } from './state.ts';
import { awaitFirstRotation, type AwaitInput } from './steps/await-first-rotation.ts';
import { compensateTask } from './steps/compensate.ts';
import { configureRotation } from './steps/configure-rotation.ts';
import { ensureInvokePermission } from './steps/ensure-invoke-permission.ts';
import { ensureNetwork } from './steps/ensure-network.ts';
import { preflight } from './steps/preflight.ts';
import { recordFailure } from './steps/record-failure.ts';
import { recordSuccess } from './steps/record-success.ts';
import { tagSecret } from './steps/tag-secret.ts';
import { validate } from './steps/validate.ts';

/** Every Task state of the onboarding workflow, by state name: each step function runs the one its ONBOARDING_STEP names. */
export const ONBOARDING_TASKS: Record<StepName, (input: OnboardingState, deps: OnboardingDeps) => Promise<unknown>> = {
  Validate: validate,
  EnsureNetwork: ensureNetwork,
  Preflight: preflight,
  EnsureInvokePermission: ensureInvokePermission,
  TagSecret: tagSecret,
  ConfigureRotation: configureRotation,
  // Its input is the state with the workflow's task token (a callback task).
  AwaitFirstRotation: (input, deps) => awaitFirstRotation(input as unknown as AwaitInput, deps),
  RecordSuccess: recordSuccess,
  Compensate: compensateTask,
  RecordFailure: recordFailure,
};
