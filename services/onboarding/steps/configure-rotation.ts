import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { failed } from '../errors.ts';
import { onboardingStep } from '../step-runner.ts';

/** RotateSecret with the rotator, the rules and the window; a rotation still in flight is waited out (the workflow retries RotationInProgress). */
export const configureRotation = onboardingStep('ConfigureRotation', async (state, deps) => {
  const startedAt = deps.now();
  try {
    const out = await deps.sm.send(
      new RotateSecretCommand({
        SecretId: state.validate!.secretArn,
        RotationLambdaARN: state.permission?.rotatorArn ?? deps.rotatorArn,
        RotationRules: state.validate!.rules,
        RotateImmediately: state.request.rotateImmediately ?? true,
      }),
    );
    return { configured: true, versionId: out.VersionId, startedAt };
  } catch (err) {
    if (/previous rotation isn.t complete/i.test((err as Error).message)) {
      throw failed('RotationInProgress', 'a previous rotation of this secret is still in progress; retrying');
    }
    throw err;
  }
});
