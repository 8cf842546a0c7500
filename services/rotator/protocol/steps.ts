import { RotationError } from '../../../shared/errors/rotation-error.ts';
import { TAGS } from '../../../shared/names.ts';
import { openAdminSession } from '../admin-credential.ts';
import type { RotatorDeps, StepContext } from '../deps.ts';
import { checkSameResource, tryLogin, workingCredential } from '../guards.ts';
import { newPassword } from '../password.ts';
import { parseSecret } from '../secret-value.ts';
import { chooseStrategy } from '../strategies/index.ts';
import type { Session, Step, Transport } from '../types.ts';

export interface StepResult {
  step: Step;
  outcome: 'done' | 'already-done';
  transport?: Transport;
}

export const serviceTypeOf = (tags: StepContext['tags']) => tags.find((t) => t.Key === TAGS.serviceType)?.Value;

function engineOf(value: string | undefined): string | undefined {
  try {
    const engine = value === undefined ? undefined : (JSON.parse(value) as { engine?: unknown }).engine;
    return typeof engine === 'string' && engine.length <= 32 ? engine : undefined;
  } catch {
    return undefined;
  }
}

async function currentValue(ctx: StepContext, deps: RotatorDeps) {
  if (!ctx.currentVersionId) throw new RotationError('InvalidSecret', 'the secret has no AWSCURRENT version to rotate from');
  const current = parseSecret(await ctx.store.version(ctx.arn, ctx.currentVersionId), 'current', deps.pluginFor, serviceTypeOf(ctx.tags));
  ctx.engine = current.credential.engine;
  return current;
}

/** A new version under the token: the current value with a new password (and, alternating, the other user). */
export async function createSecret(ctx: StepContext, deps: RotatorDeps): Promise<StepResult> {
  // No read of the pending version first: a value already under the token makes the put answer
  // ResourceExistsException (another password), which is the "already done" case.
  if (ctx.store.cachedVersion(ctx.arn, ctx.token)) return { step: 'createSecret', outcome: 'already-done' };
  const current = await currentValue(ctx, deps);
  const strategy = chooseStrategy(ctx.tags, current);
  ctx.strategy = strategy.name;
  const username = strategy.pendingUsername(current.credential);
  ctx.username = username;
  const password = newPassword(current.plugin.passwordPolicy);
  // Keep every key the secret had (dbname, masterarn, ...): only the credential changes.
  const pending = JSON.stringify({ ...current.raw, username, password });
  const stored = await ctx.store.putPending(ctx.arn, ctx.token, pending, ctx.rotationToken, ctx.deadline);
  return { step: 'createSecret', outcome: stored ? 'done' : 'already-done' };
}

/** Makes the pending credential valid on the service, once the guards have proved it is safe to. */
export async function setSecret(ctx: StepContext, deps: RotatorDeps): Promise<StepResult> {
  const pending = parseSecret(await ctx.store.version(ctx.arn, ctx.token), 'pending', deps.pluginFor, serviceTypeOf(ctx.tags));
  const current = await currentValue(ctx, deps);
  ctx.username = pending.credential.username;
  const strategy = chooseStrategy(ctx.tags, current);
  ctx.strategy = strategy.name;
  checkSameResource(current, pending, 'pending', (a, b) => strategy.pendingFits(a, b));

  // Single user: the current password stops working once the change is made, so a current login
  // that works means "not done yet" and is also the working credential the guard needs: one login
  // in the usual case. Other strategies keep the current credential working, so pending goes first.
  const currentFirst = strategy.name === 'single-user' ? await tryLogin(current, deps) : undefined;
  if (!currentFirst || 'error' in currentFirst) {
    const already = await tryLogin(pending, deps);
    if ('session' in already) {
      ctx.transport = already.session.transport;
      await already.session.close();
      return { step: 'setSecret', outcome: 'already-done', transport: ctx.transport };
    }
  }

  const working =
    currentFirst && 'session' in currentFirst
      ? { parsed: current, session: currentFirst.session }
      : await workingCredential(ctx, current, strategy, deps, serviceTypeOf(ctx.tags), currentFirst && 'error' in currentFirst ? currentFirst.error : undefined);
  ctx.transport = working.session.transport;
  let admin: Session | undefined;
  try {
    if (strategy.usesAdmin(current.credential)) admin = await openAdminSession(ctx, current, deps);
    await strategy.apply({ plugin: current.plugin, current: current.credential, pending: pending.credential, working: working.session, admin });
    return { step: 'setSecret', outcome: 'done', transport: ctx.transport };
  } finally {
    await admin?.close().catch(() => undefined);
    await working.session.close().catch(() => undefined);
  }
}

/** Logs in with the pending credential and runs a trivial read. */
export async function testSecret(ctx: StepContext, deps: RotatorDeps): Promise<StepResult> {
  const pending = parseSecret(await ctx.store.version(ctx.arn, ctx.token), 'pending', deps.pluginFor, serviceTypeOf(ctx.tags));
  ctx.engine = pending.credential.engine;
  ctx.username = pending.credential.username;
  const session = await pending.plugin.connect(pending.credential, { timeoutMs: deps.connectTimeoutMs });
  try {
    await session.check();
    ctx.transport = session.transport;
    return { step: 'testSecret', outcome: 'done', transport: session.transport };
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** Moves AWSCURRENT to the token (Secrets Manager moves AWSPREVIOUS and clears AWSPENDING itself). */
export async function finishSecret(ctx: StepContext): Promise<StepResult> {
  // The engine, for the report, from the value the earlier steps read here; no call just for that.
  ctx.engine ??= engineOf(ctx.store.cachedVersion(ctx.arn, ctx.token));
  try {
    await ctx.store.makeCurrent(ctx.arn, ctx.token, ctx.currentVersionId, ctx.deadline);
  } catch (err) {
    // The same step delivered twice at once: the other delivery moved the label first.
    if ((err as Error).name !== 'InvalidParameterException') throw err;
    const stages = (await ctx.store.describe(ctx.arn)).VersionIdsToStages?.[ctx.token] ?? [];
    if (!stages.includes('AWSCURRENT')) throw err;
    return { step: 'finishSecret', outcome: 'already-done' };
  }
  return { step: 'finishSecret', outcome: 'done' };
}

export const STEP_HANDLERS: Record<Step, (ctx: StepContext, deps: RotatorDeps) => Promise<StepResult>> = { createSecret, setSecret, testSecret, finishSecret };
