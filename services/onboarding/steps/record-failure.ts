import type { OnboardingStatus } from '../records.ts';
import type { OnboardingState } from '../state.ts';
import { onboardingStep } from '../step-runner.ts';
import { FIRST_ROTATION_TIMEOUT_MINUTES } from '../state.ts';

/** Why the onboarding ended: the failed step, its error (as the workflow caught it) and the reason. */
function failureOf(state: OnboardingState, failedStep: string) {
  const errorClass = state.error?.Error ?? 'Unknown';
  if (errorClass === 'States.Timeout') {
    return { step: 'AwaitFirstRotation', errorClass: 'FirstRotationTimedOut', reason: `the first rotation did not end within ${FIRST_ROTATION_TIMEOUT_MINUTES} minutes; the rotator's audit events (Rotation Step Failed) and GET /v1/secrets/{secretId}/rotation give the reason` };
  }
  let reason = state.error?.Cause ?? 'the workflow failed';
  try {
    // A Lambda task's Cause is the JSON of the error it threw.
    const cause = JSON.parse(reason) as { errorMessage?: string };
    if (cause.errorMessage) reason = cause.errorMessage;
  } catch {
    // a plain-text cause stays as it is
  }
  return { step: failedStep, errorClass, reason: reason.slice(0, 2048) };
}

/** Records why the onboarding failed (or that it was cancelled) and emits "Onboarding Failed". */
export const recordFailure = onboardingStep(
  'RecordFailure',
  async (state, deps) => {
    const record = await deps.records.get(state.onboardingId);
    const failedStep = [...(record?.steps ?? [])].reverse().find((s) => s.outcome === 'failed')?.step ?? 'unknown';
    const status: OnboardingStatus = record?.cancelRequested || state.error?.Error === 'OnboardingCancelled' ? 'cancelled' : 'failed';
    return { status, failure: failureOf(state, failedStep) };
  },
  {
    afterCancel: true,
    finalStatus: (_state, result) => result.status,
    record: (result, state) => ({ extra: { failure: result.failure, secretArn: state.validate?.secretArn } }),
    audit: (result) => [{ detailType: 'Onboarding Failed', detail: { step: result.failure.step, outcome: 'failed', errorMessage: `${result.failure.errorClass}: ${result.failure.reason}`.slice(0, 1024) } }],
  },
);
