import { CancelRotateSecretCommand, DescribeSecretCommand, UntagResourceCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { OnboardingDeps } from '../deps.ts';
import type { OnboardingState } from '../state.ts';
import { ONBOARDING_TAG } from './preflight.ts';

/**
 * Undoes what this onboarding changed, and only that: the rotation it enabled is cancelled (and
 * its pending label cleared, so the secret can be onboarded again), the tags it added are
 * removed, the secret lock is released. The secret's value and AWSCURRENT are never touched.
 * Not wrapped like the other steps: it must run to the end and report what it could not undo.
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
  if (secretArn && state.rotation?.configured) {
    await attempt('rotation cancelled', () => deps.sm.send(new CancelRotateSecretCommand({ SecretId: secretArn })));
    const token = state.rotation.versionId;
    if (token) {
      await attempt('pending label cleared', async () => {
        const stages = (await deps.sm.send(new DescribeSecretCommand({ SecretId: secretArn }))).VersionIdsToStages?.[token] ?? [];
        if (stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT')) {
          await deps.sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
        }
      });
    }
  }
  const added = state.tags?.added ?? (state.preflight || state.error ? [ONBOARDING_TAG] : []);
  if (secretArn && added.length) await attempt('tags removed', () => deps.sm.send(new UntagResourceCommand({ SecretId: secretArn, TagKeys: added })));
  if (secretArn && state.validate?.claimed) await attempt('secret lock released', () => deps.records.releaseSecret(secretArn, state.onboardingId));
  await deps.records.recordStep(state.onboardingId, {
    step: 'Compensate',
    outcome: 'compensated',
    at: new Date(deps.now()).toISOString(),
    message: [...undone, ...notUndone.map((n) => `NOT UNDONE ${n}`)].join('; ') || 'nothing to undo',
  });
  return { undone, notUndone };
}
