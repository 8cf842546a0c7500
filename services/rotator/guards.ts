import { RotationError } from '../../shared/errors/rotation-error.ts';
import type { RotatorDeps, StepContext } from './deps.ts';
import { parseSecret, type ParsedSecret } from './secret-value.ts';
import type { RotationStrategy } from './strategies/strategy.ts';
import type { Session } from './types.ts';

/**
 * The confused-deputy guards: before the rotator changes anything, every version it acts on must be
 * for the same account on the same service, and a credential must prove it controls that account.
 */

/** Another version of the secret is for the same service (type, host, port) and, as the strategy allows, the same user. */
export function checkSameResource(current: ParsedSecret, other: ParsedSecret, which: string, userFits: (current: ParsedSecret['credential'], other: ParsedSecret['credential']) => boolean): void {
  const a = current.credential;
  const b = other.credential;
  if (current.plugin !== other.plugin) throw new RotationError('GuardRefused', `the ${which} version is for another service type than the current one`);
  if (a.host !== b.host || a.port !== b.port) throw new RotationError('GuardRefused', `the ${which} version points at another host than the current one`);
  if (!userFits(a, b)) throw new RotationError('GuardRefused', `the ${which} version's user is neither the current user nor its alternate`);
}

/** Logs in and runs a trivial read; returns the open session, or the reason it failed. */
export async function tryLogin(parsed: ParsedSecret, deps: Pick<RotatorDeps, 'connectTimeoutMs'>): Promise<{ session: Session } | { error: RotationError }> {
  let session: Session | undefined;
  try {
    session = await parsed.plugin.connect(parsed.credential, { timeoutMs: deps.connectTimeoutMs });
    await session.check();
    return { session };
  } catch (err) {
    await session?.close().catch(() => undefined);
    return { error: err instanceof RotationError ? err : new RotationError('ServiceError', 'login failed') };
  }
}

export interface WorkingCredential {
  parsed: ParsedSecret;
  session: Session;
}

/**
 * A credential that logs in proves the secret really controls this account before anything changes:
 * the current one, or (when someone stored a current value that was never applied) the previous one.
 */
export async function workingCredential(
  ctx: StepContext,
  current: ParsedSecret,
  strategy: RotationStrategy,
  deps: RotatorDeps,
  serviceType?: string,
  /** Why the current credential failed, when the caller already tried it. */
  currentFailed?: RotationError,
): Promise<WorkingCredential> {
  const causes: string[] = [];
  const currentLogin = currentFailed ? { error: currentFailed } : await tryLogin(current, deps);
  if ('session' in currentLogin) return { parsed: current, session: currentLogin.session };
  causes.push(`current: ${currentLogin.error.message}`);
  if (ctx.previousVersionId) {
    const previous = parseSecret(await ctx.store.version(ctx.arn, ctx.previousVersionId), 'previous', deps.pluginFor, serviceType);
    checkSameResource(current, previous, 'previous', (a, b) => strategy.previousFits(a, b));
    const previousLogin = await tryLogin(previous, deps);
    if ('session' in previousLogin) {
      deps.log.warn('current credential does not log in; using the previous one', { secretArn: ctx.arn, step: 'setSecret', cause: causes[0] });
      return { parsed: previous, session: previousLogin.session };
    }
    causes.push(`previous: ${previousLogin.error.message}`);
  }
  // The real cause (unreachable, wrong password, ...) is the current credential's failure.
  throw new RotationError(currentLogin.error.errorClass, `no working credential for this secret, so nothing was changed: ${causes.join('; ')}`);
}
