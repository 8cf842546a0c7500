import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { failedBeforeTheChange, type RotationOutcome } from '../../shared/rotation/outcome.ts';
import type { OnboardingDeps } from './deps.ts';
import type { FirstRotationWait } from './waits.ts';

export type FirstRotationVerdict = { status: 'succeeded' } | { status: 'failed'; reason: string } | { status: 'pending' };

/**
 * How the first rotation ended, decided from its own outcome — never from labels seen at one
 * instant, which a later rotation moves on: succeeded when the rotator says so for its version, or
 * when that version is AWSCURRENT or AWSPREVIOUS (only a version that was current becomes previous).
 * A failed step ends the wait at once, unless a single user's password may already have changed (a
 * failure after setSecret): then Secrets Manager's retries are what bring the credential back in step.
 */
export function verdictOf(outcome: Pick<RotationOutcome, 'outcome' | 'step' | 'errorClass' | 'reason'> | undefined, stages: string[] | undefined, strategy: string): FirstRotationVerdict {
  if (outcome?.outcome === 'succeeded') return { status: 'succeeded' };
  if (stages && (stages.includes('AWSCURRENT') || stages.includes('AWSPREVIOUS'))) return { status: 'succeeded' };
  if (outcome?.outcome === 'failed' && (failedBeforeTheChange(outcome) || strategy !== 'single-user')) {
    return { status: 'failed', reason: `the first rotation failed at ${outcome.step}: ${outcome.errorClass ?? 'Error'}: ${outcome.reason ?? 'no reason given'}` };
  }
  if (stages && !stages.includes('AWSPENDING')) {
    return { status: 'failed', reason: 'the first rotation was abandoned: its version lost AWSPENDING without becoming current (someone removed the label or stored a new value)' };
  }
  return { status: 'pending' };
}

/** Looks now: the rotator's word for the version, and the version's labels. */
export async function currentVerdict(deps: Pick<OnboardingDeps, 'rotationStatus' | 'smFor'>, wait: Pick<FirstRotationWait, 'secretArn' | 'versionId' | 'strategy'>): Promise<FirstRotationVerdict> {
  const outcome = await deps.rotationStatus.outcomeOf(wait.secretArn, wait.versionId);
  if (outcome?.outcome === 'succeeded') return { status: 'succeeded' };
  const described = await deps.smFor(wait.secretArn).send(new DescribeSecretCommand({ SecretId: wait.secretArn }));
  return verdictOf(outcome, described.VersionIdsToStages?.[wait.versionId] ?? [], wait.strategy);
}

/**
 * Resumes the waiting workflow with the verdict (a decided one only), once: Step Functions refuses a
 * token already used, which is how two resumers (the event, and the step's own first look) agree.
 */
export async function resume(deps: Pick<OnboardingDeps, 'sfn' | 'waits' | 'records' | 'now'>, wait: FirstRotationWait, verdict: FirstRotationVerdict): Promise<boolean> {
  if (verdict.status === 'pending') return false;
  let resumed = true;
  try {
    if (verdict.status === 'succeeded') {
      await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: wait.taskToken, output: JSON.stringify({ status: 'succeeded', versionId: wait.versionId }) }));
    } else {
      await deps.sfn.send(new SendTaskFailureCommand({ taskToken: wait.taskToken, error: 'FirstRotationFailed', cause: verdict.reason.slice(0, 32_768) }));
    }
  } catch (err) {
    if (!['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes((err as Error).name)) throw err;
    resumed = false;
  }
  if (resumed) {
    await deps.records.recordStep(wait.onboardingId, {
      step: 'FirstRotation',
      outcome: verdict.status === 'succeeded' ? 'succeeded' : 'failed',
      at: new Date(deps.now()).toISOString(),
      ...(verdict.status === 'failed' ? { message: verdict.reason } : { message: `rotation ${wait.versionId} finished` }),
    });
  }
  await deps.waits.remove(wait.secretArn, wait.versionId);
  return resumed;
}
