import { RotationError } from '../../../shared/errors/rotation-error.ts';
import { versionWithStage } from '../../../shared/staging-labels.ts';
import type { RotatorDeps, StepContext } from '../deps.ts';
import { reportStep } from '../reporting.ts';
import { stepEventSchema } from './events.ts';
import { STEP_HANDLERS, type StepResult } from './steps.ts';

/** An AWS error the rotator has no cause for: its name and message, which never carry a value. */
export const asRotationError = (err: unknown): RotationError =>
  err instanceof RotationError ? err : new RotationError('AwsError', `${(err as Error).name}: ${(err as Error).message}`.slice(0, 300));

/**
 * The rotation step protocol Secrets Manager drives, for every service type and strategy: the
 * preconditions every step checks first (rotation on, the token a version, AWSCURRENT means done,
 * anything but AWSPENDING is refused), then the step, then its report. Safe to run again.
 */
export async function runStep(rawEvent: unknown, deps: RotatorDeps, deadline = Date.now() + 20_000): Promise<StepResult> {
  const startedAt = Date.now();
  const parsed = stepEventSchema.safeParse(rawEvent);
  if (!parsed.success) throw new RotationError('ProtocolViolation', 'the event is not a rotation step: it needs Step, SecretId and ClientRequestToken');
  const event = parsed.data;
  const store = deps.storeFor(event.SecretId);
  const ctx: StepContext = { arn: event.SecretId, token: event.ClientRequestToken, rotationToken: event.RotationToken, store, deadline, tags: [] };
  try {
    const metadata = await store.describe(event.SecretId);
    ctx.arn = metadata.ARN!;
    ctx.tags = metadata.Tags ?? [];
    ctx.currentVersionId = versionWithStage(metadata.VersionIdsToStages, 'AWSCURRENT');
    ctx.previousVersionId = versionWithStage(metadata.VersionIdsToStages, 'AWSPREVIOUS');
    if (!metadata.RotationEnabled) throw new RotationError('ProtocolViolation', `rotation is not enabled for secret ${ctx.arn}`);
    const stages = metadata.VersionIdsToStages?.[ctx.token];
    if (!stages) throw new RotationError('ProtocolViolation', `token ${ctx.token} is not a version of secret ${ctx.arn}`);
    let result: StepResult;
    if (stages.includes('AWSCURRENT')) result = { step: event.Step, outcome: 'already-done' };
    else if (!stages.includes('AWSPENDING')) throw new RotationError('ProtocolViolation', `version ${ctx.token} of secret ${ctx.arn} is not AWSPENDING`);
    else result = await STEP_HANDLERS[event.Step](ctx, deps);
    await reportStep(deps, ctx, event.Step, startedAt);
    return result;
  } catch (err) {
    const error = asRotationError(err);
    await reportStep(deps, ctx, event.Step, startedAt, error);
    throw error;
  }
}
