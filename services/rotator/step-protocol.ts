import type { DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import type { AuditEvent, AuditSink } from '../../shared/audit/audit-publisher.ts';
import { RotationError } from '../../shared/errors/rotation-error.ts';
import { versionWithStage } from '../../shared/staging-labels.ts';
import type { SecretStore } from './secret-store.ts';
import { STEPS, STRATEGIES, type Credential, type RotationEvent, type ServicePlugin, type Session, type Step, type Strategy, type Transport } from './types.ts';
import { TAGS } from '../../shared/names.ts';

/**
 * The rotation step protocol Secrets Manager drives, for every service type and strategy:
 * createSecret, setSecret, testSecret, finishSecret, each safe to run again with the same token.
 */

const CLONE_SUFFIX = '_clone';

export interface RotatorLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface RotatorDeps {
  store: SecretStore;
  audit: AuditSink;
  log: RotatorLog;
  pluginFor(engine: string): ServicePlugin | undefined;
  connectTimeoutMs: number;
  actor: string;
  /** Where the last failure and success of each secret's rotation are kept for the control plane. */
  status?: { record(secretArn: string, kind: 'lastFailure' | 'lastSuccess', outcome: { token: string; step: string; at: string; errorClass?: string; reason?: string }): Promise<void> };
}

export interface StepResult {
  step: Step;
  outcome: 'done' | 'already-done';
  transport?: Transport;
}

const eventSchema = z.object({
  Step: z.enum(STEPS),
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(1)),
});

/** Onboarding asks the rotator (the only role that reads secret values) whether a secret can be rotated. */
const preflightSchema = z.object({
  Step: z.literal('preflight'),
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(1)),
  Strategy: z.optional(z.enum(STRATEGIES)),
  ServiceType: z.optional(z.string()),
});

/** What one step knows about the secret after DescribeSecret. */
interface StepContext {
  arn: string;
  token: string;
  metadata: DescribeSecretCommandOutput;
  currentVersionId?: string;
  previousVersionId?: string;
  strategy?: Strategy;
  engine?: string;
  username?: string;
  transport?: Transport;
}

interface ParsedSecret {
  plugin: ServicePlugin;
  credential: Credential;
  raw: Record<string, unknown>;
}

export const alternateUser = (username: string) =>
  username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : `${username}${CLONE_SUFFIX}`;

/** Parses a version's value into a checked credential. Errors name keys, never values. */
export function parseSecret(raw: string | undefined, which: string, pluginFor: RotatorDeps['pluginFor'], defaultEngine?: string): ParsedSecret {
  if (raw === undefined) throw new RotationError('InvalidSecret', `the ${which} version has no value`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new RotationError('InvalidSecret', `the ${which} value is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RotationError('InvalidSecret', `the ${which} value is not a JSON object`);
  const object = (typeof (value as Record<string, unknown>).engine === 'string' || !defaultEngine ? value : { ...value, engine: defaultEngine }) as Record<string, unknown>;
  const engine = object.engine;
  if (typeof engine !== 'string') throw new RotationError('InvalidSecret', `the ${which} value has no "engine" key naming the service type (nor is the secret tagged ${TAGS.serviceType})`);
  const plugin = pluginFor(engine);
  if (!plugin) throw new RotationError('InvalidSecret', `the ${which} value names engine "${engine.slice(0, 40)}", which the fleet rotator does not serve`);
  const parsed = plugin.schema.safeParse(object);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `"${issue.path.join('.') || '(value)'}" ${issue.code === 'invalid_type' && issue.input === undefined ? 'is missing' : `is invalid (${issue.code})`}`);
    throw new RotationError('InvalidSecret', `the ${which} value does not fit ${plugin.name}: ${problems.join(', ')}`);
  }
  return { plugin, credential: parsed.data, raw: object };
}

const serviceTypeOf = (ctx: StepContext) => ctx.metadata.Tags?.find((t) => t.Key === TAGS.serviceType)?.Value;

function strategyOf(ctx: StepContext, parsed: ParsedSecret, requested?: Strategy): Strategy {
  const tagged = requested ?? ctx.metadata.Tags?.find((t) => t.Key === TAGS.strategy)?.Value;
  if (tagged !== undefined && !(STRATEGIES as readonly string[]).includes(tagged)) {
    throw new RotationError('UnsupportedStrategy', `tag ${TAGS.strategy} is "${tagged}"; use one of ${STRATEGIES.join(', ')}`);
  }
  const strategy = (tagged as Strategy | undefined) ?? (parsed.credential.masterarn ? 'alternating-users' : 'single-user');
  if (!parsed.plugin.strategies.includes(strategy)) {
    throw new RotationError('UnsupportedStrategy', `${parsed.plugin.name} does not support the ${strategy} strategy (it supports ${parsed.plugin.strategies.join(', ')})`);
  }
  if (strategy === 'alternating-users' && !parsed.credential.masterarn) {
    throw new RotationError('InvalidSecret', 'the alternating-users strategy needs a "masterarn" key naming the secret of an admin credential');
  }
  return strategy;
}

async function open(parsed: ParsedSecret, deps: RotatorDeps): Promise<Session> {
  return parsed.plugin.connect(parsed.credential, { timeoutMs: deps.connectTimeoutMs });
}

/** Logs in and runs a trivial read; returns the open session, or the reason it failed. */
async function tryLogin(parsed: ParsedSecret, deps: RotatorDeps): Promise<{ session: Session } | { error: RotationError }> {
  let session: Session | undefined;
  try {
    session = await open(parsed, deps);
    await session.check();
    return { session };
  } catch (err) {
    await session?.close().catch(() => undefined);
    return { error: err instanceof RotationError ? err : new RotationError('ServiceError', 'login failed') };
  }
}

async function createSecret(ctx: StepContext, deps: RotatorDeps): Promise<StepResult> {
  if (await deps.store.version(ctx.arn, ctx.token)) return { step: 'createSecret', outcome: 'already-done' };
  if (!ctx.currentVersionId) throw new RotationError('InvalidSecret', 'the secret has no AWSCURRENT version to rotate from');
  const current = parseSecret(await deps.store.version(ctx.arn, ctx.currentVersionId), 'current', deps.pluginFor, serviceTypeOf(ctx));
  ctx.engine = current.credential.engine;
  ctx.strategy = strategyOf(ctx, current);
  const username = ctx.strategy === 'alternating-users' ? alternateUser(current.credential.username) : current.credential.username;
  ctx.username = username;
  const password = await deps.store.randomPassword(current.plugin.passwordPolicy);
  // Keep every key the secret had (dbname, masterarn, ...): only the credential changes.
  const pending = JSON.stringify({ ...current.raw, username, password });
  const stored = await deps.store.putPending(ctx.arn, ctx.token, pending);
  return { step: 'createSecret', outcome: stored ? 'done' : 'already-done' };
}

/**
 * Guards against a confused deputy: another version must be for the same account on the same
 * service (same host and port; the same user, or its alternate where the strategy alternates).
 */
function checkSameResource(current: ParsedSecret, other: ParsedSecret, which: string, users: { same: boolean; alternate: boolean }): void {
  const a = current.credential;
  const b = other.credential;
  if (current.plugin !== other.plugin) throw new RotationError('GuardRefused', `the ${which} version is for another service type than the current one`);
  if (a.host !== b.host || a.port !== b.port) throw new RotationError('GuardRefused', `the ${which} version points at another host than the current one`);
  const ok = (users.same && a.username === b.username) || (users.alternate && b.username === alternateUser(a.username));
  if (!ok) throw new RotationError('GuardRefused', `the ${which} version's user is neither the current user nor its alternate`);
}

async function setSecret(ctx: StepContext, deps: RotatorDeps): Promise<StepResult> {
  const pending = parseSecret(await deps.store.version(ctx.arn, ctx.token), 'pending', deps.pluginFor, serviceTypeOf(ctx));
  if (!ctx.currentVersionId) throw new RotationError('InvalidSecret', 'the secret has no AWSCURRENT version');
  const current = parseSecret(await deps.store.version(ctx.arn, ctx.currentVersionId), 'current', deps.pluginFor, serviceTypeOf(ctx));
  ctx.engine = current.credential.engine;
  ctx.username = pending.credential.username;
  const strategy = (ctx.strategy = strategyOf(ctx, current));
  const alternating = strategy === 'alternating-users';
  checkSameResource(current, pending, 'pending', { same: !alternating, alternate: alternating });

  const already = await tryLogin(pending, deps);
  if ('session' in already) {
    ctx.transport = already.session.transport;
    await already.session.close();
    return { step: 'setSecret', outcome: 'already-done', transport: ctx.transport };
  }

  // A credential that works proves the secret really controls this account before anything changes.
  const causes: string[] = [];
  let working: { parsed: ParsedSecret; session: Session } | undefined;
  const currentLogin = await tryLogin(current, deps);
  if ('session' in currentLogin) working = { parsed: current, session: currentLogin.session };
  else causes.push(`current: ${currentLogin.error.message}`);
  if (!working && ctx.previousVersionId) {
    const previous = parseSecret(await deps.store.version(ctx.arn, ctx.previousVersionId), 'previous', deps.pluginFor, serviceTypeOf(ctx));
    checkSameResource(current, previous, 'previous', { same: true, alternate: alternating });
    const previousLogin = await tryLogin(previous, deps);
    if ('session' in previousLogin) {
      working = { parsed: previous, session: previousLogin.session };
      deps.log.warn('current credential does not log in; using the previous one', { secretArn: ctx.arn, step: 'setSecret', cause: causes[0] });
    } else causes.push(`previous: ${previousLogin.error.message}`);
  }
  if (!working) {
    // The real cause (unreachable, wrong password, ...) is the current credential's failure.
    const cause = 'error' in currentLogin ? currentLogin.error.errorClass : 'GuardRefused';
    throw new RotationError(cause, `no working credential for this secret, so nothing was changed: ${causes.join('; ')}`);
  }
  ctx.transport = working.session.transport;

  let admin: Session | undefined;
  try {
    if (strategy === 'single-user') {
      if (working.parsed.credential.username !== pending.credential.username) throw new RotationError('GuardRefused', 'the working credential is for another user');
      await working.session.changeOwnPassword(pending.credential.password);
      return { step: 'setSecret', outcome: 'done', transport: ctx.transport };
    }
    // alternating-users and dual-password with an admin credential act through it.
    if (pending.credential.masterarn) {
      const master = parseSecret(await deps.store.current(pending.credential.masterarn), 'admin (masterarn)', deps.pluginFor, current.credential.engine);
      if (master.credential.host !== current.credential.host || master.credential.port !== current.credential.port) {
        throw new RotationError('GuardRefused', 'the admin credential (masterarn) is for another host than this secret');
      }
      const adminLogin = await tryLogin(master, deps);
      if ('error' in adminLogin) throw new RotationError(adminLogin.error.errorClass, `admin credential (masterarn): ${adminLogin.error.message}`);
      admin = adminLogin.session;
    }
    const actor = admin ?? working.session;
    if (strategy === 'alternating-users') {
      const base = pending.credential.username.endsWith(CLONE_SUFFIX) ? alternateUser(pending.credential.username) : pending.credential.username;
      if (pending.credential.username === base) {
        if (!actor.setUserPassword) throw new RotationError('UnsupportedStrategy', `${pending.plugin.name} cannot set another user's password`);
        await actor.setUserPassword(base, pending.credential.password);
      } else {
        if (!actor.cloneUser) throw new RotationError('UnsupportedStrategy', `${pending.plugin.name} cannot clone users`);
        await actor.cloneUser(base, pending.credential.username, pending.credential.password);
      }
    } else {
      if (!actor.setUserPasswords) throw new RotationError('UnsupportedStrategy', `${pending.plugin.name} cannot keep two passwords`);
      // The previous password stays valid until the next rotation, so clients never see a failed login.
      await actor.setUserPasswords(pending.credential.username, [current.credential.password, pending.credential.password]);
    }
    return { step: 'setSecret', outcome: 'done', transport: ctx.transport };
  } finally {
    await admin?.close().catch(() => undefined);
    await working.session.close().catch(() => undefined);
  }
}

async function testSecret(ctx: StepContext, deps: RotatorDeps): Promise<StepResult> {
  const pending = parseSecret(await deps.store.version(ctx.arn, ctx.token), 'pending', deps.pluginFor, serviceTypeOf(ctx));
  ctx.engine = pending.credential.engine;
  ctx.username = pending.credential.username;
  const session = await open(pending, deps);
  try {
    await session.check();
    ctx.transport = session.transport;
    return { step: 'testSecret', outcome: 'done', transport: session.transport };
  } finally {
    await session.close().catch(() => undefined);
  }
}

async function finishSecret(ctx: StepContext, deps: RotatorDeps): Promise<StepResult> {
  await deps.store.makeCurrent(ctx.arn, ctx.token, ctx.currentVersionId);
  return { step: 'finishSecret', outcome: 'done' };
}

const HANDLERS: Record<Step, (ctx: StepContext, deps: RotatorDeps) => Promise<StepResult>> = { createSecret, setSecret, testSecret, finishSecret };

/** Checks the step protocol's preconditions, runs the step, and reports it (log and audit event). */
export async function runStep(rawEvent: unknown, deps: RotatorDeps): Promise<StepResult> {
  const started = Date.now();
  const parsed = eventSchema.safeParse(rawEvent);
  if (!parsed.success) throw new RotationError('ProtocolViolation', 'the event is not a rotation step: it needs Step, SecretId and ClientRequestToken');
  const event: RotationEvent = parsed.data;
  const metadata = await deps.store.describe(event.SecretId);
  const arn = metadata.ARN!;
  const ctx: StepContext = {
    arn,
    token: event.ClientRequestToken,
    metadata,
    currentVersionId: versionWithStage(metadata.VersionIdsToStages, 'AWSCURRENT'),
    previousVersionId: versionWithStage(metadata.VersionIdsToStages, 'AWSPREVIOUS'),
  };
  const [, , , region = '', account = ''] = arn.split(':');
  const report = async (outcome: 'succeeded' | 'failed', error?: RotationError) => {
    const fields = {
      secretArn: arn,
      account,
      region,
      rotationToken: ctx.token,
      step: event.Step,
      outcome,
      durationMs: Date.now() - started,
      actor: deps.actor,
      ...(ctx.engine ? { engine: ctx.engine } : {}),
      ...(ctx.strategy ? { strategy: ctx.strategy } : {}),
      ...(ctx.transport ? { transport: ctx.transport } : {}),
      ...(ctx.username ? { username: ctx.username } : {}),
      ...(error ? { errorClass: error.errorClass, errorMessage: error.message } : {}),
    };
    if (outcome === 'failed') deps.log.error('rotation step failed', fields);
    else if (ctx.transport === 'plaintext-fallback') deps.log.warn('rotation step succeeded over plaintext: the server refused TLS and the secret does not set "ssl"', fields);
    else deps.log.info('rotation step succeeded', fields);
    const events: AuditEvent[] = [{ detailType: outcome === 'failed' ? 'Rotation Step Failed' : 'Rotation Step Succeeded', detail: fields }];
    if (outcome === 'succeeded' && event.Step === 'finishSecret') events.push({ detailType: 'Rotation Succeeded', detail: fields });
    await deps.audit.publish(...events);
    if (deps.status && (outcome === 'failed' || event.Step === 'finishSecret')) {
      const at = new Date().toISOString();
      const record = outcome === 'failed'
        ? deps.status.record(arn, 'lastFailure', { token: ctx.token, step: event.Step, at, errorClass: error!.errorClass, reason: error!.message })
        : deps.status.record(arn, 'lastSuccess', { token: ctx.token, step: event.Step, at });
      // Like the audit trail, the status never fails the rotation itself.
      await record.catch((err: unknown) => deps.log.error('rotation status not recorded', { secretArn: arn, reason: (err as Error).name }));
    }
  };

  try {
    if (!metadata.RotationEnabled) throw new RotationError('ProtocolViolation', `rotation is not enabled for secret ${arn}`);
    const stages = metadata.VersionIdsToStages?.[ctx.token];
    if (!stages) throw new RotationError('ProtocolViolation', `token ${ctx.token} is not a version of secret ${arn}`);
    let result: StepResult;
    if (stages.includes('AWSCURRENT')) {
      result = { step: event.Step, outcome: 'already-done' };
    } else {
      if (!stages.includes('AWSPENDING')) throw new RotationError('ProtocolViolation', `version ${ctx.token} of secret ${arn} is not AWSPENDING`);
      result = await HANDLERS[event.Step](ctx, deps);
    }
    await report('succeeded');
    return result;
  } catch (err) {
    const error = err instanceof RotationError ? err : new RotationError('AwsError', `${(err as Error).name}: ${(err as Error).message}`.slice(0, 300));
    await report('failed', error);
    throw error;
  }
}

export interface PreflightResult {
  secretArn: string;
  engine: string;
  strategy: Strategy;
  username: string;
  transport: Transport;
}

/**
 * Before onboarding changes anything: the secret parses for its service type, the strategy fits,
 * the current credential logs in, and for an admin-backed strategy the admin credential (same
 * host) logs in too. Throws the real cause otherwise; changes nothing either way.
 */
export async function runPreflight(rawEvent: unknown, deps: RotatorDeps): Promise<PreflightResult> {
  const parsed = preflightSchema.safeParse(rawEvent);
  if (!parsed.success) throw new RotationError('ProtocolViolation', 'a preflight event needs Step "preflight", SecretId and ClientRequestToken');
  const event = parsed.data;
  const started = Date.now();
  const metadata = await deps.store.describe(event.SecretId);
  const ctx: StepContext = { arn: metadata.ARN!, token: event.ClientRequestToken, metadata, currentVersionId: versionWithStage(metadata.VersionIdsToStages, 'AWSCURRENT') };
  if (!ctx.currentVersionId) throw new RotationError('InvalidSecret', 'the secret has no AWSCURRENT version: store the credential first');
  const current = parseSecret(await deps.store.version(ctx.arn, ctx.currentVersionId), 'current', deps.pluginFor, event.ServiceType ?? serviceTypeOf(ctx));
  const strategy = strategyOf(ctx, current, event.Strategy);
  const sessions: Session[] = [];
  try {
    const login = await tryLogin(current, deps);
    if ('error' in login) throw login.error;
    sessions.push(login.session);
    if (current.credential.masterarn && strategy !== 'single-user') {
      const master = parseSecret(await deps.store.current(current.credential.masterarn), 'admin (masterarn)', deps.pluginFor, current.credential.engine);
      if (master.credential.host !== current.credential.host || master.credential.port !== current.credential.port) {
        throw new RotationError('GuardRefused', 'the admin credential (masterarn) is for another host than this secret');
      }
      const admin = await tryLogin(master, deps);
      if ('error' in admin) throw new RotationError(admin.error.errorClass, `admin credential (masterarn): ${admin.error.message}`);
      sessions.push(admin.session);
    }
    const result = { secretArn: ctx.arn, engine: current.credential.engine, strategy, username: current.credential.username, transport: login.session.transport };
    deps.log.info('preflight succeeded', { ...result, durationMs: Date.now() - started });
    return result;
  } catch (err) {
    deps.log.warn('preflight failed', { secretArn: ctx.arn, errorClass: (err as RotationError).errorClass, errorMessage: (err as Error).message });
    throw err;
  } finally {
    for (const session of sessions) await session.close().catch(() => undefined);
  }
}
