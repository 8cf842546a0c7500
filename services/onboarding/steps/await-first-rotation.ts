import { secretLocation } from '../../../shared/accounts.ts';
import type { OnboardingDeps } from '../deps.ts';
import { cancelled, fromAws } from '../errors.ts';
import { currentVerdict, resume } from '../first-rotation.ts';
import type { OnboardingState } from '../state.ts';

/** What the workflow hands this task: its state and the token that resumes it (`$$.Task.Token`). */
export interface AwaitInput {
  state: OnboardingState;
  taskToken: string;
}

/**
 * The workflow waits for its first rotation without polling: this step leaves the task token where
 * the rotation's own event (Rotation Succeeded / Rotation Failed, from the rotator) finds it, then
 * looks once itself, for a rotation that ended before the token was left. Whichever resumes the
 * workflow first wins; Step Functions refuses the second.
 */
export async function awaitFirstRotation(input: AwaitInput, deps: OnboardingDeps): Promise<null> {
  const { state, taskToken } = input;
  try {
    const record = await deps.records.get(state.onboardingId);
    if (record?.cancelRequested) throw cancelled(record.cancelRequested.actor);
    const wait = { secretArn: state.validate!.secretArn, versionId: state.rotation!.versionId!, taskToken, onboardingId: state.onboardingId, strategy: state.preflight?.strategy ?? 'single-user' };
    await deps.waits.register(wait);
    await deps.records.recordStep(state.onboardingId, { step: 'AwaitFirstRotation', outcome: 'succeeded', at: new Date(deps.now()).toISOString(), message: `waiting for rotation ${wait.versionId}` }, undefined, { waiting: { secretArn: wait.secretArn, versionId: wait.versionId } });
    await resume(deps, wait, await currentVerdict(deps, wait));
    return null;
  } catch (err) {
    const { account, region } = secretLocation(state.validate?.secretArn ?? state.request.secretId, deps.home);
    const error = fromAws(err, 'AwaitFirstRotation');
    await deps.audit.publish({
      detailType: 'Onboarding Step Failed',
      detail: { secretArn: state.validate?.secretArn ?? state.request.secretId, account, region, onboardingId: state.onboardingId, step: 'AwaitFirstRotation', outcome: 'failed', durationMs: 0, actor: state.actor, errorMessage: `${error.name}: ${error.message}`.slice(0, 1024) },
    });
    throw error;
  }
}
