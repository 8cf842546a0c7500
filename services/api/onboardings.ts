import { randomBytes } from 'node:crypto';
import { secretLocation, type Home } from '../../shared/accounts.ts';
import type { Onboarding, OnboardingRequest, OnboardingStatus } from '../../shared/contract/types.ts';
import type { OnboardingRecord } from '../onboarding/records.ts';
import { compensate, describeCompensation, offboardSecret, RotationMidFlight } from '../onboarding/undo.ts';
import type { Caller } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { problem } from './problem.ts';
import { rulesOrProblem } from './schedules.ts';
import { ownedSecret } from './secret-access.ts';

export const newOnboardingId = () => `onb-${randomBytes(12).toString('hex')}`;

/** An onboarding as the API shows it, with the account and region its secret lives in. */
export function view(record: OnboardingRecord, home: Home): Onboarding {
  const secretArn = record.secretArn ?? record.secretId;
  const { account, region } = secretLocation(secretArn, home);
  return {
    onboardingId: record.onboardingId,
    status: record.status,
    secretArn,
    account,
    region,
    team: record.team,
    ...(record.strategy ? { strategy: record.strategy as Onboarding['strategy'] } : {}),
    schedule: record.schedule,
    ...(record.currentStep ? { currentStep: record.currentStep } : {}),
    steps: record.steps,
    ...(record.failure ? { failure: record.failure } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    links: { self: `/v1/onboardings/${record.onboardingId}` },
  };
}

const ACTIVE: ReadonlySet<OnboardingStatus> = new Set(['pending', 'running', 'cancelling']);

/** The onboarding that holds a secret (running, or succeeded and not offboarded), if any. */
export async function holderOf(deps: ApiDeps, secretArn: string): Promise<OnboardingRecord | undefined> {
  const id = await deps.records.lockHolder(secretArn);
  return id ? deps.records.get(id) : undefined;
}

async function audit(deps: ApiDeps, detailType: 'Onboarding Requested' | 'Offboarded' | 'Onboarding Failed', secretArn: string, onboardingId: string, step: string, caller: Caller, errorMessage?: string) {
  const { account, region } = secretLocation(secretArn, deps.home);
  await deps.audit.publish({
    detailType,
    detail: { secretArn, account, region, onboardingId, step, outcome: errorMessage ? 'failed' : 'succeeded', durationMs: 0, actor: caller.actor, ...(errorMessage ? { errorMessage } : {}) },
  });
}

/**
 * Starts an onboarding. `idempotencyKey` is the client's: a request sent again after an attempt
 * that died before it answered (a Lambda timeout) finds that attempt's onboarding holding the
 * secret, and gets it back (started now if the attempt died before starting it), not a 409.
 */
export async function createOnboarding(deps: ApiDeps, caller: Caller, request: OnboardingRequest, idempotencyKey?: string): Promise<Onboarding> {
  const team = request.team ?? caller.team;
  if (team !== caller.team) throw problem(403, 'wrong-team', `you act for team ${caller.team}: set "team" to "${caller.team}" or leave it out`);
  rulesOrProblem(request.schedule, request.window, deps.now());
  const described = await ownedSecret(deps, caller, request.secretId);
  const holder = await holderOf(deps, described.ARN!);
  if (holder && idempotencyKey && holder.idempotencyKey === idempotencyKey && holder.team === team) {
    if (holder.status === 'pending' && !holder.executionArn) await startWorkflow(deps, caller, holder.onboardingId, { ...request, team, secretId: described.ARN! });
    return view((await deps.records.get(holder.onboardingId)) ?? holder, deps.home);
  }
  if (holder) {
    const what = ACTIVE.has(holder.status) ? 'is being onboarded by' : 'is already onboarded by';
    throw problem(409, 'already-onboarded', `secret "${request.secretId}" ${what} onboarding ${holder.onboardingId} (${holder.status}): offboard it first (DELETE /v1/onboardings/${holder.onboardingId})`);
  }
  const onboardingId = newOnboardingId();
  const now = new Date(deps.now()).toISOString();
  const record: OnboardingRecord = {
    onboardingId,
    team,
    secretId: request.secretId,
    secretArn: described.ARN,
    status: 'pending',
    strategy: request.strategy,
    schedule: request.schedule,
    steps: [],
    createdAt: now,
    updatedAt: now,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
  await deps.records.create(record);
  // The lock from the moment the API answers (Validate takes it again, idempotently): a rotate-now or a
  // second onboarding that arrives before the workflow's first step is told about this one.
  if (!(await deps.records.claimSecret(described.ARN!, onboardingId))) {
    const other = await holderOf(deps, described.ARN!);
    const reason = `onboarding ${other?.onboardingId ?? 'another onboarding'} holds this secret`;
    await deps.records.recordStep(onboardingId, { step: 'Start', outcome: 'failed', at: now, message: reason }, 'failed', { failure: { step: 'Start', errorClass: 'OnboardingInProgress', reason } });
    throw problem(409, 'already-onboarded', `secret "${request.secretId}" is being onboarded by ${other ? `onboarding ${other.onboardingId} (${other.status})` : 'another onboarding'}: wait for it, or cancel it (DELETE /v1/onboardings/{id})`);
  }
  await audit(deps, 'Onboarding Requested', described.ARN!, onboardingId, 'Requested', caller);
  await startWorkflow(deps, caller, onboardingId, { ...request, team, secretId: described.ARN! });
  return view((await deps.records.get(onboardingId)) ?? record, deps.home);
}

/** The workflow of a recorded onboarding; its execution is named after the onboarding, so a second start starts nothing. */
async function startWorkflow(deps: ApiDeps, caller: Caller, onboardingId: string, request: OnboardingRequest & { secretId: string; team: string }): Promise<void> {
  try {
    const { executionArn } = await deps.workflow.start({ onboardingId, actor: caller.actor, request });
    await deps.records.setExecutionArn(onboardingId, executionArn);
  } catch (err) {
    // Nothing was changed yet: the record says so, and a retry (even with the same key) starts afresh.
    deps.log('workflow not started', { onboardingId, errorName: (err as Error).name });
    await deps.records.releaseSecret(request.secretId, onboardingId);
    await deps.records.recordStep(onboardingId, { step: 'Start', outcome: 'failed', at: new Date(deps.now()).toISOString(), message: (err as Error).name }, 'failed', {
      failure: { step: 'Start', errorClass: (err as Error).name, reason: 'the workflow could not be started; nothing was changed' },
    });
    throw problem(503, 'workflow-unavailable', 'the onboarding workflow could not be started (nothing was changed): retry in a moment', undefined, { 'retry-after': '5' });
  }
}

async function ownRecord(deps: ApiDeps, caller: Caller, onboardingId: string): Promise<OnboardingRecord> {
  const record = await deps.records.get(onboardingId);
  // Another team's onboarding is reported exactly as one that does not exist.
  if (!record || record.team !== caller.team) throw problem(404, 'onboarding-not-found', `no onboarding ${onboardingId} of team ${caller.team}`);
  return record;
}

export async function getOnboarding(deps: ApiDeps, caller: Caller, onboardingId: string): Promise<Onboarding> {
  return view(await ownRecord(deps, caller, onboardingId), deps.home);
}

export async function listOnboardings(deps: ApiDeps, caller: Caller, query: { status?: OnboardingStatus; account?: string; region?: string; limit?: number; nextToken?: string }) {
  let startKey: Record<string, unknown> | undefined;
  if (query.nextToken) {
    const invalid = () => problem(400, 'invalid-next-token', 'nextToken is not one this API returned for this listing: start from the first page');
    try {
      startKey = JSON.parse(Buffer.from(query.nextToken, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      throw invalid();
    }
    const keys = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];
    const valid = startKey !== null && typeof startKey === 'object' && Object.keys(startKey).sort().join() === [...keys].sort().join() && keys.every((k) => typeof startKey![k] === 'string');
    if (!valid || startKey.gsi1pk !== `TEAM#${caller.team}`) throw invalid();
  }
  // Filters apply after DynamoDB's page limit: keep reading until the page is full.
  const limit = query.limit ?? 25;
  const items: Onboarding[] = [];
  const wanted = (o: Onboarding) => (!query.account || o.account === query.account) && (!query.region || o.region === query.region);
  let lastKey = startKey;
  do {
    const page = await deps.records.listByTeam(caller.team, { status: query.status, limit: limit - items.length, startKey: lastKey });
    items.push(...page.items.map((r) => view(r, deps.home)).filter(wanted));
    lastKey = page.lastKey;
  } while (lastKey && items.length < limit);
  return { items, ...(lastKey ? { nextToken: Buffer.from(JSON.stringify(lastKey)).toString('base64url') } : {}) };
}

/**
 * DELETE /v1/onboardings/{id}: a running onboarding is cancelled (its workflow stops at its next step
 * and compensates; if the workflow is gone — it died with its process — the API compensates itself);
 * a succeeded one is offboarded; a failed one is offboarded after its compensation runs once more
 * (it may have reported something not undone).
 */
export async function offboard(deps: ApiDeps, caller: Caller, onboardingId: string): Promise<Onboarding> {
  const record = await ownRecord(deps, caller, onboardingId);
  if (record.status === 'offboarded' || record.status === 'cancelled') return view(record, deps.home);
  const at = () => new Date(deps.now()).toISOString();
  if (ACTIVE.has(record.status)) {
    await deps.records.requestCancel(onboardingId, caller.actor, at());
    // A workflow waiting for its first rotation hears of the cancellation at once, not when the rotation ends.
    if (record.waiting) await deps.workflow.cancelWait(record.waiting.secretArn, record.waiting.versionId, caller.actor);
    if (!record.executionArn || !(await deps.workflow.isRunning(record.executionArn))) {
      const result = await compensate({ onboardingId, validate: record.validate, preflight: record.preflight, ...(record.secretArn ? { request: { secretId: record.secretArn } } : {}) }, deps);
      await deps.records.recordStep(onboardingId, { step: 'Compensate', outcome: 'compensated', at: at(), message: describeCompensation(result) });
      const failure = { step: record.currentStep ?? 'Start', errorClass: 'OnboardingCancelled', reason: `the onboarding was cancelled by ${caller.actor}` };
      await deps.records.recordStep(onboardingId, { step: 'RecordFailure', outcome: 'succeeded', at: at() }, 'cancelled', { failure });
      await audit(deps, 'Onboarding Failed', record.secretArn ?? record.secretId, onboardingId, failure.step, caller, `OnboardingCancelled: ${failure.reason}`);
    }
    return view((await deps.records.get(onboardingId))!, deps.home);
  }
  const secretArn = record.secretArn!;
  const state = { onboardingId, validate: record.validate, preflight: record.preflight };
  let undone = 'nothing to undo';
  try {
    if (record.status === 'succeeded' && (await deps.records.lockHolder(secretArn)) === onboardingId) undone = describeCompensation(await offboardSecret(state, deps));
    else if (record.status === 'failed' && record.validate) undone = describeCompensation(await compensate(state, deps));
  } catch (err) {
    if (err instanceof RotationMidFlight) throw problem(409, 'rotation-in-progress', err.message);
    if ((err as Error).name !== 'ResourceNotFoundException') throw err;
  }
  await deps.records.recordStep(onboardingId, { step: 'Offboard', outcome: 'succeeded', at: at(), message: undone }, 'offboarded');
  await audit(deps, 'Offboarded', secretArn, onboardingId, 'Offboard', caller);
  return view((await deps.records.get(onboardingId))!, deps.home);
}
