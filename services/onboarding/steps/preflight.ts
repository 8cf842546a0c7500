import { InvokeCommand } from '@aws-sdk/client-lambda';
import { TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { TAGS } from '../../../shared/names.ts';
import { failed } from '../errors.ts';
import type { PreflightFindings } from '../state.ts';
import { onboardingStep } from '../step-runner.ts';

/**
 * The fleet rotator (the only role that reads secret values) checks that the secret parses for its
 * service type, the strategy fits, and the current (and admin) credential logs in. The secret is
 * first marked as being onboarded, which is what lets the rotator's role read it.
 */
export const preflight = onboardingStep(
  'Preflight',
  async (state, deps): Promise<PreflightFindings> => {
    const secretArn = state.validate!.secretArn;
    await deps.smFor(secretArn).send(new TagResourceCommand({ SecretId: secretArn, Tags: [{ Key: TAGS.onboardingId, Value: state.onboardingId }] }));
    const out = await deps.lambda.send(
      new InvokeCommand({
        // The rotator placed where the service is: it must reach the service the way rotations will.
        FunctionName: state.network?.rotatorArn ?? deps.rotatorArn,
        Payload: Buffer.from(
          JSON.stringify({ Step: 'preflight', SecretId: secretArn, ClientRequestToken: state.onboardingId, Strategy: state.request.strategy, ServiceType: state.request.serviceType }),
        ),
      }),
    );
    const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString() || 'null') as (Partial<PreflightFindings> & { errorType?: string; errorMessage?: string }) | null;
    if (out.FunctionError) {
      // The rotator names the cause (AuthenticationFailed, HostUnreachable, ...) without secret values.
      throw failed(`Preflight.${payload?.errorType ?? 'Failed'}`, payload?.errorMessage ?? 'the fleet rotator could not check the secret');
    }
    return {
      engine: payload!.engine!,
      strategy: payload!.strategy!,
      username: payload!.username!,
      transport: payload!.transport!,
      ...(payload!.strayPendingVersion ? { strayPendingVersion: payload!.strayPendingVersion } : {}),
    };
  },
  { record: (findings) => ({ extra: { preflight: findings, strategy: findings.strategy } }) },
);
