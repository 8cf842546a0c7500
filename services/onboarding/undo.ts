import { CancelRotateSecretCommand, DescribeSecretCommand, UntagResourceCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { ONBOARDING_TAGS, TAGS } from '../../shared/names.ts';
import { failedBeforeTheChange } from '../../shared/rotation/outcome.ts';
import { unfinishedPendingVersion } from '../../shared/staging-labels.ts';
import type { OnboardingDeps } from './deps.ts';
import type { OnboardingState } from './state.ts';

export interface Compensation {
  undone: string[];
  notUndone: string[];
}

/**
 * What undoes an onboarding: compensation after a failure or a cancellation, and offboarding. One
 * sequence, so both keep the rule that protects a credential a rotation may already have changed.
 */

/** Offboarding refused: a single-user rotation under way may already have set the new password on the service. */
export class RotationMidFlight extends Error {
  override readonly name = 'RotationMidFlight';
}

type UndoState = Pick<OnboardingState, 'onboardingId' | 'validate' | 'preflight'> & { request?: Pick<OnboardingState['request'], 'secretId'> };
type UndoDeps = Pick<OnboardingDeps, 'smFor' | 'records' | 'rotationStatus'>;

/**
 * Undoes what this onboarding changed, and only that, judged from the secret as it is now (so it
 * is right even when a step's result was lost, or when it runs outside the workflow after a
 * cancellation): the rotation it enabled is cancelled and its pending label cleared, the tags it
 * added are removed, the secret lock is released. The secret's value and AWSCURRENT are never touched.
 *
 * One exception keeps credentials working: with a single user, a rotation that failed after
 * setSecret (or whose outcome is unknown) may already have changed the password on the service;
 * cancelling it would leave AWSCURRENT holding a password that no longer works. Compensation leaves
 * that rotation enabled, for Secrets Manager to finish, and reports it as not undone; offboarding
 * refuses until it has finished.
 */
export function compensate(state: UndoState, deps: UndoDeps): Promise<Compensation> {
  return undo(state, deps, 'compensate');
}

/** Stops rotating a secret an onboarding made managed (whatever its rotation was before), with the same care. */
export function offboardSecret(state: UndoState, deps: UndoDeps): Promise<Compensation> {
  return undo(state, deps, 'offboard');
}

async function undo(state: UndoState, deps: UndoDeps, mode: 'compensate' | 'offboard'): Promise<Compensation> {
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
  if (!secretArn) {
    // Stopped before Validate: nothing was changed, but the API took the secret's lock for this onboarding.
    const requested = state.request?.secretId;
    if (requested?.startsWith('arn:')) await attempt('secret lock released', () => deps.records.releaseSecret(requested, state.onboardingId));
    return { undone, notUndone };
  }
  const sm = deps.smFor(secretArn);
  const described = await sm.send(new DescribeSecretCommand({ SecretId: secretArn }));
  const tags = new Map((described.Tags ?? []).map((t) => [t.Key, t.Value]));
  const ours = tags.get(TAGS.onboardingId) === state.onboardingId;
  const rotationOurs = ours && described.RotationEnabled === true && (mode === 'offboard' || !state.validate!.rotationEnabledBefore);
  const pendingToken = unfinishedPendingVersion(described.VersionIdsToStages);
  let keepRotation = false;
  if (rotationOurs && pendingToken && (state.preflight?.strategy ?? 'single-user') === 'single-user') {
    const outcome = await deps.rotationStatus.outcomeOf(secretArn, pendingToken);
    keepRotation = !(outcome && failedBeforeTheChange(outcome));
  }
  if (keepRotation && mode === 'offboard') {
    throw new RotationMidFlight(`a rotation of this secret (version ${pendingToken}) is under way and may already have set the new password on the service: offboard once it has finished`);
  }
  if (keepRotation) {
    notUndone.push('rotation left enabled: the first rotation may already have set the new password on the service, and Secrets Manager will finish it');
  } else if (rotationOurs) {
    await attempt('rotation cancelled', () => sm.send(new CancelRotateSecretCommand({ SecretId: secretArn })));
    if (pendingToken) {
      await attempt('pending label cleared', () => sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: 'AWSPENDING', RemoveFromVersionId: pendingToken })));
    }
  }
  const before = new Set(mode === 'offboard' ? [] : state.validate!.tagKeysBefore);
  // While the rotation is left running, the rotator still needs the secret to be managed.
  // Tags are ours to remove only if this onboarding marked the secret (it tags rcp:onboarding-id first).
  const added = ours ? ONBOARDING_TAGS.filter((k) => tags.has(k) && !before.has(k) && !(keepRotation && k === TAGS.managed)) : [];
  if (added.length) await attempt('tags removed', () => sm.send(new UntagResourceCommand({ SecretId: secretArn, TagKeys: added })));
  await attempt('secret lock released', () => deps.records.releaseSecret(secretArn, state.onboardingId));
  return { undone, notUndone };
}

export const describeCompensation = ({ undone, notUndone }: Compensation) => [...undone, ...notUndone.map((n) => `NOT UNDONE ${n}`)].join('; ') || 'nothing to undo';
