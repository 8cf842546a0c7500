import type { OnboardingDeps } from '../deps.ts';
import type { OnboardingState } from '../state.ts';
import { fromAws } from '../errors.ts';

/** Records why the onboarding failed (the failed step's error, as the workflow caught it) and emits "Onboarding Failed". */
export async function recordFailure(state: OnboardingState, deps: OnboardingDeps): Promise<{ failed: true }> {
  try {
    return await record(state, deps);
  } catch (err) {
    // AWS errors become the names the workflow retries.
    throw fromAws(err, 'RecordFailure');
  }
}

async function record(state: OnboardingState, deps: OnboardingDeps): Promise<{ failed: true }> {
  const errorClass = state.error?.Error ?? 'Unknown';
  let reason = state.error?.Cause ?? 'the workflow failed';
  try {
    // A Lambda task's Cause is the JSON of the error it threw.
    const cause = JSON.parse(reason) as { errorMessage?: string };
    if (cause.errorMessage) reason = cause.errorMessage;
  } catch {
    // a plain-text cause stays as it is
  }
  const record = await deps.records.get(state.onboardingId);
  const failedStep = [...(record?.steps ?? [])].reverse().find((s) => s.outcome === 'failed')?.step ?? 'unknown';
  await deps.records.recordStep(
    state.onboardingId,
    { step: 'RecordFailure', outcome: 'succeeded', at: new Date(deps.now()).toISOString() },
    'failed',
    { failure: { step: failedStep, errorClass, reason: reason.slice(0, 2048) }, secretArn: state.validate?.secretArn },
  );
  await deps.audit.publish({
    detailType: 'Onboarding Failed',
    detail: {
      secretArn: state.validate?.secretArn ?? state.request.secretId,
      account: deps.account,
      region: deps.region,
      onboardingId: state.onboardingId,
      step: failedStep,
      outcome: 'failed',
      errorMessage: `${errorClass}: ${reason}`.slice(0, 1024),
      durationMs: 0,
      actor: state.actor,
    },
  });
  return { failed: true };
}
