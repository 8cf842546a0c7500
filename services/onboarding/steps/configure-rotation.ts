import { isPreviousRotationIncomplete } from '../../../shared/aws/errors.ts';
import { RotateSecretCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { failed } from '../errors.ts';
import { onboardingStep } from '../step-runner.ts';

/**
 * RotateSecret with the rotator, the rules and the window. A stray AWSPENDING that preflight found
 * (an unfinished rotation; the current credential logs in, so nothing depends on it) is cleared
 * first: while it stays, Secrets Manager refuses every new rotation. A rotation someone else has
 * running is waited out (the workflow retries RotationInProgress, with backoff, for about half an hour).
 */
export const configureRotation = onboardingStep('ConfigureRotation', async (state, deps) => {
  const startedAt = deps.now();
  const secretArn = state.validate!.secretArn;
  const sm = deps.smFor(secretArn);
  const stray = state.preflight?.strayPendingVersion;
  if (stray) {
    try {
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: 'AWSPENDING', RemoveFromVersionId: stray }));
    } catch (err) {
      // Already cleared (a retry of this step, or Secrets Manager finished that rotation meanwhile).
      if ((err as Error).name !== 'InvalidParameterException') throw err;
    }
  }
  try {
    const out = await sm.send(
      new RotateSecretCommand({
        SecretId: secretArn,
        RotationLambdaARN: state.permission?.rotatorArn ?? deps.rotatorArn,
        RotationRules: state.validate!.rules,
        RotateImmediately: state.request.rotateImmediately ?? true,
      }),
    );
    return { configured: true, versionId: out.VersionId, startedAt, ...(stray ? { clearedPending: stray } : {}) };
  } catch (err) {
    if (isPreviousRotationIncomplete(err)) {
      throw failed(
        'RotationInProgress',
        'a rotation of this secret that the onboarding did not start is still running, and Secrets Manager accepts no new one until it ends; ' +
          'the onboarding waited for it. See GET /v1/secrets/{secretId}/rotation, and onboard again once it has finished',
      );
    }
    throw err;
  }
});
