import { secretLocation } from '../../shared/accounts.ts';
import type { AuditDetail, StepDetailType } from '../../shared/audit/audit-events.ts';
import type { OnboardingDeps } from './deps.ts';
import { cancelled, fromAws } from './errors.ts';
import type { OnboardingRecord, OnboardingStatus, StepRecord } from './records.ts';
import type { OnboardingState, StepName } from './state.ts';

export type StepTask = (state: OnboardingState, deps: OnboardingDeps) => Promise<unknown>;

export interface StepOptions<R> {
  /** The status the onboarding moves to when this step succeeds (a final step). */
  finalStatus?: (state: OnboardingState, result: R) => OnboardingStatus;
  /** Runs even after a cancellation was asked for: the steps that undo and record. */
  afterCancel?: boolean;
  /** How its success is recorded, when not as a plain success, and what it keeps on the record. */
  record?: (result: R, state: OnboardingState) => { outcome?: StepRecord['outcome']; message?: string; extra?: Partial<OnboardingRecord> };
  /** Audit events besides the step's own. */
  audit?: (result: R, state: OnboardingState) => Array<{ detailType: StepDetailType; detail: Partial<AuditDetail> }>;
}

/** The audit detail every onboarding event shares: the secret (once known), where it lives, who asked. */
export function onboardingDetail(state: OnboardingState, deps: OnboardingDeps, step: string, outcome: 'succeeded' | 'failed', durationMs: number): AuditDetail {
  const secretArn = state.validate?.secretArn ?? state.request.secretId;
  const { account, region } = secretLocation(secretArn, deps.home);
  return { secretArn, account, region, onboardingId: state.onboardingId, step, outcome, durationMs, actor: state.actor };
}

/**
 * Wraps one step: stops at once when a cancellation was asked for, runs the step, records its
 * outcome and time on the onboarding, emits its audit event, and turns AWS errors into the names
 * the workflow's Retry and Catch match.
 */
export function onboardingStep<R>(step: StepName, run: (state: OnboardingState, deps: OnboardingDeps) => Promise<R>, options: StepOptions<R> = {}): StepTask {
  return async (state, deps) => {
    const started = deps.now();
    let result: R | undefined;
    let error: Error | undefined;
    try {
      if (!options.afterCancel) {
        const record = await deps.records.get(state.onboardingId);
        if (record?.cancelRequested) throw cancelled(record.cancelRequested.actor);
      }
      result = await run(state, deps);
    } catch (err) {
      error = fromAws(err, step);
    }
    const durationMs = deps.now() - started;
    const at = new Date(deps.now()).toISOString();
    const custom = !error && options.record ? options.record(result as R, state) : {};
    try {
      await deps.records.recordStep(
        state.onboardingId,
        { step, outcome: error ? 'failed' : (custom.outcome ?? 'succeeded'), at, durationMs, ...(error ? { message: `${error.name}: ${error.message}` } : custom.message ? { message: custom.message } : {}) },
        error ? undefined : options.finalStatus?.(state, result as R),
        custom.extra,
      );
      const detail = onboardingDetail(state, deps, step, error ? 'failed' : 'succeeded', durationMs);
      await deps.audit.publish(
        { detailType: error ? 'Onboarding Step Failed' : 'Onboarding Step Succeeded', detail: { ...detail, ...(error ? { errorMessage: `${error.name}: ${error.message}`.slice(0, 1024) } : {}) } },
        ...(!error && options.audit ? options.audit(result as R, state).map((e) => ({ detailType: e.detailType, detail: { ...detail, ...e.detail } })) : []),
      );
    } catch (bookkeeping) {
      // The step's own work stands (its result must reach the workflow's state, or compensation
      // could not undo it); only a final status that was not recorded makes the step retry.
      deps.log.error('onboarding step outcome not recorded', { onboardingId: state.onboardingId, step, reason: (bookkeeping as Error).name });
      if (options.finalStatus && !error) throw fromAws(bookkeeping, step);
    }
    if (error) throw error;
    return result;
  };
}
