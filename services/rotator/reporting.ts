import type { AuditDetail } from '../../shared/audit/audit-events.ts';
import type { AuditEvent } from '../../shared/audit/audit-publisher.ts';
import { RotationError } from '../../shared/errors/rotation-error.ts';
import { accountOf, regionOf } from '../../shared/runtime/settings.ts';
import type { RotatorDeps, StepContext } from './deps.ts';
import type { Step } from './types.ts';

/**
 * Every step's outcome, told once to everyone who needs it: a log line, the audit event(s), the
 * rotation's outcome for the control plane (on a failure, and when the rotation finished), and a
 * metric. Identifiers, classes and reasons only; never a value. Like the audit trail, the status
 * record never fails the rotation itself.
 */
export async function reportStep(deps: RotatorDeps, ctx: Pick<StepContext, 'arn' | 'token' | 'engine' | 'strategy' | 'transport' | 'username'>, step: Step, startedAt: number, error?: RotationError): Promise<void> {
  const outcome = error ? 'failed' : 'succeeded';
  const durationMs = Date.now() - startedAt;
  const detail: AuditDetail = {
    secretArn: ctx.arn,
    account: accountOf(ctx.arn) ?? deps.account,
    region: regionOf(ctx.arn) ?? deps.region,
    rotationToken: ctx.token,
    step,
    outcome,
    durationMs,
    actor: deps.actor,
    ...(ctx.engine ? { engine: ctx.engine } : {}),
    ...(ctx.strategy ? { strategy: ctx.strategy } : {}),
    ...(ctx.transport ? { transport: ctx.transport } : {}),
    ...(ctx.username ? { username: ctx.username } : {}),
    ...(error ? { errorClass: error.errorClass, errorMessage: error.message } : {}),
  };
  if (error) deps.log.error('rotation step failed', detail);
  else if (ctx.transport === 'plaintext-fallback') deps.log.warn('rotation step succeeded over plaintext: the server refused TLS and the secret does not set "ssl"', detail);
  else deps.log.info('rotation step succeeded', detail);

  const events: AuditEvent[] = [{ detailType: error ? 'Rotation Step Failed' : 'Rotation Step Succeeded', detail }];
  if (!error && step === 'finishSecret') events.push({ detailType: 'Rotation Succeeded', detail });
  if (error) events.push({ detailType: 'Rotation Failed', detail });
  // The audit event and the status row are independent: both go out at once.
  const at = new Date(deps.now()).toISOString();
  await Promise.all([
    deps.audit.publish(...events),
    deps.status && (error || step === 'finishSecret')
      ? deps.status
          .record(ctx.arn, { token: ctx.token, outcome, step, at, ...(error ? { errorClass: error.errorClass, reason: error.message } : {}) })
          .catch((err: unknown) => deps.log.error('rotation status not recorded', { secretArn: ctx.arn, reason: (err as Error).name }))
      : undefined,
  ]);
  deps.measure?.({ step, outcome, durationMs, ...(ctx.engine ? { engine: ctx.engine } : {}), ...(ctx.strategy ? { strategy: ctx.strategy } : {}), ...(error ? { errorClass: error.errorClass } : {}) });
}
