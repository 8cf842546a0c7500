import { verdictOf, resume } from './first-rotation.ts';
import type { OnboardingDeps } from './deps.ts';

/** The rotator's audit event that ends (or fails a step of) a rotation, as EventBridge delivers it. */
export interface RotationEvent {
  'detail-type': string;
  detail: { secretArn?: string; rotationToken?: string; step?: string; errorClass?: string; errorMessage?: string };
}

/**
 * Resumes the onboarding waiting for this rotation, if any: its own event decides, the moment the
 * rotation ends. A failure that does not end the first rotation (a single user's, after setSecret,
 * which Secrets Manager retries) leaves the onboarding waiting.
 */
export async function onRotationEvent(event: RotationEvent, deps: Pick<OnboardingDeps, 'waits' | 'sfn' | 'records' | 'now'>): Promise<'resumed' | 'not-waiting' | 'still-waiting'> {
  const { secretArn, rotationToken, step } = event.detail ?? {};
  if (!secretArn || !rotationToken || !step) return 'not-waiting';
  const wait = await deps.waits.get(secretArn, rotationToken);
  if (!wait) return 'not-waiting';
  const outcome =
    event['detail-type'] === 'Rotation Succeeded'
      ? { outcome: 'succeeded' as const, step }
      : { outcome: 'failed' as const, step, errorClass: event.detail.errorClass, reason: event.detail.errorMessage };
  const verdict = verdictOf(outcome, undefined, wait.strategy);
  return (await resume(deps, wait, verdict)) ? 'resumed' : 'still-waiting';
}
