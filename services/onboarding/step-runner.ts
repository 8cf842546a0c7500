import type { AuditDetail } from '../../shared/audit/audit-events.ts';
import type { OnboardingDeps } from './deps.ts';
import { fromAws } from './errors.ts';
import type { OnboardingStatus } from './records.ts';
import type { OnboardingState, StepName } from './state.ts';

export type StepTask = (state: OnboardingState, deps: OnboardingDeps) => Promise<unknown>;

/**
 * Wraps one step: runs it, records its outcome and time on the onboarding, emits its audit event,
 * and turns AWS errors into the names the workflow's Retry and Catch match.
 */
export function onboardingStep(step: StepName, run: StepTask, finalStatus?: OnboardingStatus): StepTask {
  return async (state, deps) => {
    const started = deps.now();
    const detail = (outcome: 'succeeded' | 'failed', error?: Error): AuditDetail => ({
      secretArn: state.validate?.secretArn ?? state.request.secretId,
      account: deps.account,
      region: deps.region,
      onboardingId: state.onboardingId,
      step,
      outcome,
      durationMs: deps.now() - started,
      actor: state.actor,
      ...(error ? { errorMessage: `${error.name}: ${error.message}`.slice(0, 1024) } : {}),
    });
    let result: unknown;
    let error: Error | undefined;
    try {
      result = await run(state, deps);
    } catch (err) {
      error = fromAws(err, step);
    }
    const at = new Date(deps.now()).toISOString();
    const outcome = error ? 'failed' : 'succeeded';
    try {
      await deps.records.recordStep(
        state.onboardingId,
        { step, outcome, at, durationMs: deps.now() - started, ...(error ? { message: `${error.name}: ${error.message}` } : {}) },
        error ? undefined : finalStatus,
      );
      await deps.audit.publish({ detailType: error ? 'Onboarding Step Failed' : 'Onboarding Step Succeeded', detail: detail(outcome, error) });
    } catch (bookkeeping) {
      // The step's own work stands (its result must reach the workflow's state, or compensation
      // could not undo it); only a final status that was not recorded makes the step retry.
      console.error(`[onboarding] ${step} of ${state.onboardingId}: outcome not recorded: ${(bookkeeping as Error).name}`);
      if (finalStatus && !error) throw fromAws(bookkeeping, step);
    }
    if (error) throw error;
    return result;
  };
}
