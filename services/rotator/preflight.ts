import { RotationError } from '../../shared/errors/rotation-error.ts';
import { unfinishedPendingVersion, versionWithStage } from '../../shared/staging-labels.ts';
import { openAdminSession } from './admin-credential.ts';
import type { RotatorDeps, StepContext } from './deps.ts';
import { checkSameResource, tryLogin } from './guards.ts';
import { preflightEventSchema } from './protocol/events.ts';
import { serviceTypeOf } from './protocol/steps.ts';
import { asRotationError } from './protocol/step-protocol.ts';
import { parseSecret, type ParsedSecret } from './secret-value.ts';
import { chooseStrategy, type RotationStrategy } from './strategies/index.ts';
import type { Session, Strategy, Transport } from './types.ts';

export interface PreflightResult {
  secretArn: string;
  engine: string;
  strategy: Strategy;
  username: string;
  transport: Transport;
  /**
   * A version left with AWSPENDING by a rotation that never finished. The current credential logs
   * in, so applications have a working AWSCURRENT and the label can be cleared: until it is,
   * Secrets Manager refuses every new rotation.
   */
  strayPendingVersion?: string;
}

/** A pending version that logs in where the current one does not: the service already took its password. */
async function pendingThatWorks(ctx: StepContext, current: ParsedSecret, strategy: RotationStrategy, pendingId: string, deps: RotatorDeps): Promise<boolean> {
  let pending: ParsedSecret;
  try {
    pending = parseSecret(await ctx.store.version(ctx.arn, pendingId), 'pending', deps.pluginFor, current.credential.engine);
    checkSameResource(current, pending, 'pending', (a, b) => strategy.pendingFits(a, b));
  } catch {
    return false;
  }
  const login = await tryLogin(pending, deps);
  if ('error' in login) return false;
  await login.session.close().catch(() => undefined);
  return true;
}

/**
 * Before onboarding changes anything: the secret parses for its service type, the strategy fits,
 * the current credential logs in, and for an admin-backed strategy the admin credential (same team,
 * same host) logs in too. Reports a stray AWSPENDING left by an unfinished rotation, and, when that
 * version is the one the service now accepts, says exactly how to make it current. Changes nothing.
 */
export async function runPreflight(rawEvent: unknown, deps: RotatorDeps): Promise<PreflightResult> {
  const parsed = preflightEventSchema.safeParse(rawEvent);
  if (!parsed.success) throw new RotationError('ProtocolViolation', 'a preflight event needs Step "preflight", SecretId and ClientRequestToken');
  const event = parsed.data;
  const startedAt = Date.now();
  const store = deps.storeFor(event.SecretId);
  const ctx: StepContext = { arn: event.SecretId, token: event.ClientRequestToken, store, deadline: Date.now() + 20_000, tags: [] };
  const sessions: Session[] = [];
  try {
    const metadata = await store.describe(event.SecretId);
    ctx.arn = metadata.ARN!;
    ctx.tags = metadata.Tags ?? [];
    ctx.currentVersionId = versionWithStage(metadata.VersionIdsToStages, 'AWSCURRENT');
    if (!ctx.currentVersionId) throw new RotationError('InvalidSecret', 'the secret has no AWSCURRENT version: store the credential first');
    const current = parseSecret(await store.version(ctx.arn, ctx.currentVersionId), 'current', deps.pluginFor, event.ServiceType ?? serviceTypeOf(ctx.tags));
    const strategy = chooseStrategy(ctx.tags, current, event.Strategy);
    const pendingId = unfinishedPendingVersion(metadata.VersionIdsToStages);
    const login = await tryLogin(current, deps);
    if ('error' in login) {
      if (pendingId && (await pendingThatWorks(ctx, current, strategy, pendingId, deps))) {
        throw new RotationError(
          login.error.errorClass,
          `${login.error.message}; the pending version ${pendingId} of an unfinished rotation logs in instead: the service already has its password. ` +
            `Make it current, then onboard again: aws secretsmanager update-secret-version-stage --secret-id ${ctx.arn} --version-stage AWSCURRENT ` +
            `--move-to-version-id ${pendingId} --remove-from-version-id ${ctx.currentVersionId}`,
        );
      }
      throw login.error;
    }
    sessions.push(login.session);
    if (strategy.usesAdmin(current.credential)) sessions.push(await openAdminSession(ctx, current, deps));
    const result: PreflightResult = {
      secretArn: ctx.arn,
      engine: current.credential.engine,
      strategy: strategy.name,
      username: current.credential.username,
      transport: login.session.transport,
      ...(pendingId ? { strayPendingVersion: pendingId } : {}),
    };
    deps.log.info('preflight succeeded', { ...result, durationMs: Date.now() - startedAt });
    deps.measure?.({ step: 'preflight', outcome: 'succeeded', engine: result.engine, strategy: result.strategy, durationMs: Date.now() - startedAt });
    return result;
  } catch (err) {
    const error = asRotationError(err);
    deps.log.warn('preflight failed', { secretArn: ctx.arn, errorClass: error.errorClass, errorMessage: error.message });
    deps.measure?.({ step: 'preflight', outcome: 'failed', errorClass: error.errorClass, durationMs: Date.now() - startedAt });
    throw error;
  } finally {
    for (const session of sessions) await session.close().catch(() => undefined);
  }
}
