import { isPreviousRotationIncomplete } from '../../shared/aws/errors.ts';
import { DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { RotationState } from '../../shared/contract/types.ts';
import { unfinishedPendingVersion } from '../../shared/staging-labels.ts';
import type { Caller } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { holderOf, startingOnboardingOf } from './onboardings.ts';
import { problem } from './problem.ts';
import { ownedSecret } from './secret-access.ts';

/** Rotate now. Refused while the secret's onboarding runs (it rotates the secret itself) and while a rotation is unfinished, saying whether it is failing and why. */
export async function rotateNow(deps: ApiDeps, caller: Caller, secretId: string) {
  const described = await ownedSecret(deps, caller, secretId);
  const arn = described.ARN!;
  // Named before "not onboarded": a running onboarding has not tagged the secret yet in its first steps.
  // Before its Validate step takes the lock, a just-started onboarding is found among the team's newest.
  const holder = (await holderOf(deps, arn)) ?? (await startingOnboardingOf(deps, caller.team, arn));
  if (holder && ['pending', 'running', 'cancelling'].includes(holder.status)) {
    throw problem(409, 'onboarding-running', `onboarding ${holder.onboardingId} of this secret is still ${holder.status} and rotates the secret itself: wait for it (GET /v1/onboardings/${holder.onboardingId})`);
  }
  await ownedSecret(deps, caller, secretId, { mustBeManaged: true, described });
  const sm = deps.smFor(arn);
  try {
    const out = await sm.send(new RotateSecretCommand({ SecretId: arn }));
    return { secretArn: arn, versionId: out.VersionId! };
  } catch (err) {
    if (!isPreviousRotationIncomplete(err)) throw err;
    const pending = unfinishedPendingVersion((await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages);
    const outcome = pending ? await deps.rotationStatus.outcomeOf(arn, pending) : undefined;
    if (outcome?.outcome === 'failed') {
      throw problem(
        409,
        'rotation-failing',
        `the previous rotation (version ${pending}) is failing at ${outcome.step}: ${outcome.errorClass}: ${outcome.reason}. ` +
          'Secrets Manager keeps retrying it, so waiting will not help: fix the cause; or, if the current credential still works, ' +
          `drop that rotation: aws secretsmanager update-secret-version-stage --secret-id ${arn} --version-stage AWSPENDING --remove-from-version-id ${pending}`,
      );
    }
    throw problem(409, 'rotation-in-progress', 'a rotation of this secret is still running: wait for it to finish (GET /v1/secrets/{secretId}/rotation)');
  }
}

export async function getRotation(deps: ApiDeps, caller: Caller, secretId: string): Promise<RotationState> {
  const described = await ownedSecret(deps, caller, secretId);
  const iso = (d: Date | undefined) => (d ? d.toISOString() : undefined);
  const { lastFailure, lastSuccess } = await deps.rotationStatus.get(described.ARN!);
  // A failure older than the last success is history, not the current state.
  const failure = lastFailure && (!lastSuccess || lastFailure.at > lastSuccess.at) ? lastFailure : undefined;
  return {
    ...(failure ? { lastFailure: { at: failure.at, step: failure.step, errorClass: failure.errorClass, reason: failure.reason } } : {}),
    secretArn: described.ARN!,
    enabled: described.RotationEnabled === true,
    ...(described.RotationLambdaARN ? { rotationLambdaArn: described.RotationLambdaARN } : {}),
    ...(described.RotationRules ? { rules: described.RotationRules } : {}),
    ...(described.LastRotatedDate ? { lastRotatedAt: iso(described.LastRotatedDate) } : {}),
    ...(described.NextRotationDate ? { nextRotationBy: iso(described.NextRotationDate) } : {}),
  };
}
