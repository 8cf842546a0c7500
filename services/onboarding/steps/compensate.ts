import { CancelRotateSecretCommand, DescribeSecretCommand, UntagResourceCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { OnboardingDeps } from '../deps.ts';
import { unfinishedPendingVersion } from '../../../shared/staging-labels.ts';
import { failedBeforeTheChange } from '../../../shared/rotation-status/rotation-status-store.ts';
import { fromAws } from '../errors.ts';
import type { OnboardingState } from '../state.ts';
import { ONBOARDING_TAGS, TAGS } from '../../../shared/names.ts';


/**
 * Undoes what this onboarding changed, and only that, judged from the secret as it is now (so it
 * is right even when a step's result was lost): the rotation it enabled is cancelled and its
 * pending label cleared, the tags it added are removed, the secret lock is released. The secret's
 * value and AWSCURRENT are never touched.
 *
 * One exception keeps credentials working: with a single user, a first rotation that failed after
 * setSecret (or whose outcome is unknown) may already have changed the password on the service;
 * cancelling it would leave AWSCURRENT holding a password that no longer works. That rotation is
 * left enabled, for Secrets Manager to finish, and reported as not undone.
 */
export async function compensate(state: OnboardingState, deps: OnboardingDeps): Promise<{ undone: string[]; notUndone: string[] }> {
  const undone: string[] = [];
  const notUndone: string[] = [];
  const secretArn = state.validate?.secretArn;
  const attempt = async (what: string, action: () => Promise<unknown>) => {
    try {
      await action();
      undone.push(what);
    } catch (err) {
      notUndone.push(`${what}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  };
  if (secretArn) {
    const described = await deps.sm.send(new DescribeSecretCommand({ SecretId: secretArn }));
    const tags = new Map((described.Tags ?? []).map((t) => [t.Key, t.Value]));
    const ours = tags.get(TAGS.onboardingId) === state.onboardingId;
    const enabledByUs = ours && described.RotationEnabled === true && !state.validate!.rotationEnabledBefore;
    const pendingToken = unfinishedPendingVersion(described.VersionIdsToStages);
    let keepRotation = false;
    if (enabledByUs && pendingToken && (state.preflight?.strategy ?? 'single-user') === 'single-user') {
      const { lastFailure } = await deps.rotationStatus.get(secretArn);
      keepRotation = !(lastFailure?.token === pendingToken && failedBeforeTheChange(lastFailure));
    }
    if (keepRotation) {
      notUndone.push('rotation left enabled: the first rotation may already have set the new password on the service, and Secrets Manager will finish it');
    } else if (enabledByUs) {
      await attempt('rotation cancelled', () => deps.sm.send(new CancelRotateSecretCommand({ SecretId: secretArn })));
      if (pendingToken) {
        await attempt('pending label cleared', () =>
          deps.sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: 'AWSPENDING', RemoveFromVersionId: pendingToken })),
        );
      }
    }
    const before = new Set(state.validate!.tagKeysBefore);
    // While the rotation is left running, the rotator still needs the secret to be managed.
    // Tags are ours to remove only if this onboarding marked the secret (it tags rcp:onboarding-id first).
    const added = ours ? ONBOARDING_TAGS.filter((k) => tags.has(k) && !before.has(k) && !(keepRotation && k === TAGS.managed)) : [];
    if (added.length) await attempt('tags removed', () => deps.sm.send(new UntagResourceCommand({ SecretId: secretArn, TagKeys: added })));
    await attempt('secret lock released', () => deps.records.releaseSecret(secretArn, state.onboardingId));
  }
  await deps.records.recordStep(state.onboardingId, {
    step: 'Compensate',
    outcome: 'compensated',
    at: new Date(deps.now()).toISOString(),
    message: [...undone, ...notUndone.map((n) => `NOT UNDONE ${n}`)].join('; ') || 'nothing to undo',
  });
  return { undone, notUndone };
}

/** As the workflow's Task: AWS errors become the names its Retry matches. */
export async function compensateTask(state: OnboardingState, deps: OnboardingDeps) {
  try {
    return await compensate(state, deps);
  } catch (err) {
    throw fromAws(err, 'Compensate');
  }
}
