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
    try {
      const result = await run(state, deps);
      const at = new Date(deps.now()).toISOString();
      await deps.records.recordStep(state.onboardingId, { step, outcome: 'succeeded', at, durationMs: deps.now() - started }, finalStatus);
      await deps.audit.publish({ detailType: 'Onboarding Step Succeeded', detail: detail('succeeded') });
      return result;
    } catch (err) {
      const error = fromAws(err, step);
      const at = new Date(deps.now()).toISOString();
      await deps.records.recordStep(state.onboardingId, { step, outcome: 'failed', at, durationMs: deps.now() - started, message: `${error.name}: ${error.message}` });
      await deps.audit.publish({ detailType: 'Onboarding Step Failed', detail: detail('failed', error) });
      throw error;
    }
  };
}
