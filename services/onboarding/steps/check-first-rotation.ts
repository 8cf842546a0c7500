import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { failed } from '../errors.ts';
import { failedBeforeTheChange } from '../../../shared/rotation-status/rotation-status-store.ts';
import { onboardingStep } from '../step-runner.ts';

/**
 * Looks once at the first rotation: succeeded when its version is AWSCURRENT and the service has
 * cleared AWSPENDING. The workflow waits and asks again while it is pending, up to a limit.
 */
export const checkFirstRotation = onboardingStep('CheckFirstRotation', async (state, deps) => {
  const checks = (state.firstRotation?.checks ?? 0) + 1;
  const token = state.rotation!.versionId!;
  const described = await deps.sm.send(new DescribeSecretCommand({ SecretId: state.validate!.secretArn }));
  const stages = described.VersionIdsToStages?.[token] ?? [];
  if (stages.includes('AWSCURRENT') && !stages.includes('AWSPENDING')) return { status: 'succeeded', checks };
  // The rotator leaves the reason of a failed step: no need to wait out the retries to report it,
  // unless a single user's password may already have changed (a failure after setSecret), when
  // Secrets Manager's retries are what brings the credential back in step.
  const { lastFailure } = await deps.rotationStatus.get(state.validate!.secretArn);
  const safeToStop = lastFailure && (failedBeforeTheChange(lastFailure) || state.preflight?.strategy !== 'single-user');
  if (lastFailure?.token === token && safeToStop) {
    throw failed('FirstRotationFailed', `the first rotation failed at ${lastFailure.step}: ${lastFailure.errorClass}: ${lastFailure.reason}`);
  }
  if (!stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT')) {
    throw failed('FirstRotationFailed', 'the first rotation was abandoned (its pending version lost AWSPENDING)');
  }
  if (checks >= deps.firstRotationMaxChecks) {
    throw failed('FirstRotationFailed', 'the first rotation did not finish in time; the rotator\'s audit events (Rotation Step Failed) give the reason');
  }
  return { status: 'pending', checks };
});
