import { DescribeSecretCommand, ListSecretsCommand, type SecretListEntry, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import type { Home } from '../../shared/accounts.ts';
import type { AuditSink } from '../../shared/audit/audit-publisher.ts';
import type { ComplianceChangedDetail } from '../../shared/audit/audit-events.ts';
import { TAGS } from '../../shared/names.ts';
import type { RotationStatusStore } from '../../shared/rotation/status-store.ts';
import { secretLocation } from '../../shared/accounts.ts';
import { factsOf, failingNow } from './facts.ts';
import { recordCompliant, type SecretRecord, type StoredResult } from './findings.ts';
import { parametersFor, type CompliancePolicy } from './policy.ts';
import { evaluateSecret, type RuleId } from './rules.ts';
import type { ComplianceStore, Count, EvaluationRecord, EvaluationSummary, HistoryEntry, ScopeEvaluations } from './store.ts';
import { forEachLimited } from '../../shared/concurrency.ts';

export interface EvaluatorDeps {
  home: Home;
  /** Every account and region the control plane serves. */
  scopes(): Home[];
  /** Secrets Manager of one account and region through its inventory role (list and describe, never values). */
  inventoryFor(scope: Home): SecretsManagerClient;
  rotationStatus: Pick<RotationStatusStore, 'get'>;
  store: ComplianceStore;
  scopeEvaluations: ScopeEvaluations;
  audit: AuditSink;
  policy: CompliancePolicy;
  ourRotators: ReadonlySet<string>;
  now(): number;
  log(message: string, fields: Record<string, unknown>): void;
  /** How many scopes are listed at once (each scope's pages are read in order). */
  scopeConcurrency?: number;
}

export type Trigger = EvaluationRecord['trigger'];
export const newEvaluationId = () => `ev-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;

/** How long a full evaluation's claim holds when the caller gives no deadline: Lambda's longest timeout. */
const LONGEST_RUN_MS = 15 * 60_000;

interface Tally {
  secrets: number;
  nonCompliant: number;
  byAccount: Record<string, Count>;
  byRegion: Record<string, Count>;
  byTeam: Record<string, Count>;
}

const bump = (map: Record<string, Count>, key: string, nonCompliant: boolean) => {
  const c = (map[key] ??= { secrets: 0, nonCompliant: 0 });
  c.secrets++;
  if (nonCompliant) c.nonCompliant++;
};

/** Does a ListSecrets entry need the rotator's record (only secrets the product rotates, or rotated once, have one)? */
const mayHaveRotatorRecord = (entry: SecretListEntry, ours: ReadonlySet<string>) =>
  (entry.RotationLambdaARN !== undefined && ours.has(entry.RotationLambdaARN)) || entry.Tags?.some((t) => t.Key === TAGS.managed || t.Key === TAGS.onboardingId) === true;

/** One secret's new record from its entry and its previous record; the rule states that changed. */
async function assess(deps: EvaluatorDeps, entry: SecretListEntry, previous: SecretRecord | undefined, at: string): Promise<{ record: SecretRecord; changes: HistoryEntry[] }> {
  const facts = factsOf(entry);
  if (mayHaveRotatorRecord(entry, deps.ourRotators)) {
    const failure = failingNow(await deps.rotationStatus.get(facts.arn));
    if (failure) facts.lastFailure = failure;
  }
  const team = facts.tags[TAGS.team] || undefined;
  const results = evaluateSecret(facts, { now: deps.now(), parameters: parametersFor(deps.policy, { account: facts.account, team }), ourRotators: deps.ourRotators });
  const stored: Partial<Record<RuleId, StoredResult>> = {};
  const changes: HistoryEntry[] = [];
  for (const [rule, result] of Object.entries(results) as Array<[RuleId, StoredResult]>) {
    const before = previous?.results[rule];
    stored[rule] = { ...result, since: before && before.state === result.state ? before.since : at };
    if (before && before.state !== result.state) changes.push({ at, rule, from: before.state, to: result.state, reason: result.reason });
  }
  const record: SecretRecord = { arn: facts.arn, name: facts.name, account: facts.account, region: facts.region, ...(team ? { team } : {}), results: stored, ...(facts.lastFailure ? { lastFailure: facts.lastFailure } : {}), evaluatedAt: at };
  return { record, changes };
}

/** Whether a record says anything new (its evaluatedAt aside): unchanged records are not rewritten. */
const sameRecord = (a: SecretRecord | undefined, b: SecretRecord) => a !== undefined && JSON.stringify({ ...a, evaluatedAt: '' }) === JSON.stringify({ ...b, evaluatedAt: '' });

function changedEvent(previous: SecretRecord | undefined, record: SecretRecord, changes: HistoryEntry[], evaluationId: string, actor: string): ComplianceChangedDetail | undefined {
  const to = recordCompliant(record) ? 'COMPLIANT' : 'NON_COMPLIANT';
  const from = previous ? (recordCompliant(previous) ? 'COMPLIANT' : 'NON_COMPLIANT') : 'UNKNOWN';
  if (from === to) return undefined;
  return {
    secretArn: record.arn,
    account: record.account,
    region: record.region,
    ...(record.team ? { team: record.team } : {}),
    evaluationId,
    from,
    to,
    changes: previous ? changes.map((c) => ({ rule: c.rule, from: c.from, to: c.to, reason: (c.reason ?? '').slice(0, 1024) })) : [],
    failingRules: Object.entries(record.results).filter(([, r]) => r!.state === 'NON_COMPLIANT').map(([rule]) => rule),
    actor,
  };
}

/** Runs `work` over items, at most `limit` at once. */
/**
 * Evaluates every secret of every served account and region: ListSecrets pages through each
 * account's inventory role (100 a page), the rotator's record for the secrets the product rotates,
 * every rule, then the changed records, their history and a `Compliance Changed` event per secret
 * whose state changed. Safe to run again: a rerun recomputes the same records and finds no change.
 */
export async function evaluateAll(
  deps: EvaluatorDeps,
  options: { evaluationId?: string; trigger: Trigger; actor: string; /** when the calling invocation ends (epoch ms): the claim dies with it */ deadline?: number },
): Promise<EvaluationRecord> {
  const evaluationId = options.evaluationId ?? newEvaluationId();
  const started = deps.now();
  const startedAt = new Date(started).toISOString();
  const claim = await deps.store.claimRun(evaluationId, started, options.deadline ?? started + LONGEST_RUN_MS);
  if (!claim.claimed) {
    const running = await deps.store.runningEvaluation();
    return { evaluationId: running?.evaluationId ?? evaluationId, status: 'running', trigger: options.trigger, startedAt: running ? new Date(running.claimedAt).toISOString() : startedAt };
  }
  if (claim.abandoned) {
    const left = await deps.store.getEvaluation(claim.abandoned);
    if (left?.status === 'running') {
      await deps.store.putEvaluation({ ...left, status: 'failed', finishedAt: startedAt, error: 'the invocation running it ended (a timeout or a crash) before it finished; evaluation ' + evaluationId + ' took over' });
    }
  }
  const evaluation: EvaluationRecord = { evaluationId, status: 'running', trigger: options.trigger, startedAt };
  await deps.store.putEvaluation(evaluation);
  const tally: Tally = { secrets: 0, nonCompliant: 0, byAccount: {}, byRegion: {}, byTeam: {} };
  let listSecretsCalls = 0;
  try {
    await forEachLimited(deps.scopes(), deps.scopeConcurrency ?? 16, async (scope) => {
      const sm = deps.inventoryFor(scope);
      const known = await deps.store.arnsIn(scope.account, scope.region);
      let nextToken: string | undefined;
      do {
        const page = await sm.send(new ListSecretsCommand({ MaxResults: 100, ...(nextToken ? { NextToken: nextToken } : {}) }));
        listSecretsCalls++;
        nextToken = page.NextToken;
        const entries = (page.SecretList ?? []).filter((e) => e.ARN);
        const previous = await deps.store.getSecrets(scope.account, scope.region, entries.map((e) => e.ARN!));
        const at = new Date(deps.now()).toISOString();
        const assessed = await Promise.all(entries.map((e) => assess(deps, e, previous.get(e.ARN!), at)));
        const events: ComplianceChangedDetail[] = [];
        for (const { record, changes } of assessed) {
          known.delete(record.arn);
          const nonCompliant = !recordCompliant(record);
          tally.secrets++;
          if (nonCompliant) tally.nonCompliant++;
          bump(tally.byAccount, record.account, nonCompliant);
          bump(tally.byRegion, record.region, nonCompliant);
          bump(tally.byTeam, record.team ?? '(none)', nonCompliant);
          const before = previous.get(record.arn);
          if (changes.length) await deps.store.addHistory(record.arn, changes);
          // A secret seen for the first time sets the baseline; only a change of a known secret's state is news.
          const event = before ? changedEvent(before, record, changes, evaluationId, options.actor) : undefined;
          if (event) events.push(event);
        }
        await deps.store.putSecrets(assessed.filter(({ record }) => !sameRecord(previous.get(record.arn), record)).map(({ record }) => record));
        for (let i = 0; i < events.length; i += 10) await deps.audit.publish(...events.slice(i, i + 10).map((detail) => ({ detailType: 'Compliance Changed' as const, detail })));
      } while (nextToken);
      // Secrets gone since the last evaluation (deleted) have no findings any more.
      if (known.size) await deps.store.deleteSecrets(scope.account, scope.region, [...known]);
      await deps.scopeEvaluations.put(scope.account, scope.region, startedAt);
    });
    const finishedAt = new Date(deps.now()).toISOString();
    Object.assign(evaluation, { status: 'succeeded', finishedAt, secrets: tally.secrets, listSecretsCalls, durationMs: Date.parse(finishedAt) - started });
    const summary: EvaluationSummary = { evaluationId, at: finishedAt, ...tally };
    await deps.store.putSummary(summary);
  } catch (err) {
    Object.assign(evaluation, { status: 'failed', finishedAt: new Date(deps.now()).toISOString(), secrets: tally.secrets, listSecretsCalls, durationMs: deps.now() - started, error: `${(err as Error).name}: ${(err as Error).message}`.slice(0, 1024) });
    deps.log('compliance evaluation failed', { evaluationId, errorName: (err as Error).name, errorMessage: (err as Error).message });
  } finally {
    await deps.store.putEvaluation(evaluation);
    await deps.store.releaseRun(evaluationId);
  }
  const compliant = tally.secrets - tally.nonCompliant;
  await deps.audit.publish({
    detailType: 'Compliance Evaluated',
    detail: {
      evaluationId,
      trigger: options.trigger,
      account: deps.home.account,
      region: deps.home.region,
      outcome: evaluation.status === 'succeeded' ? 'succeeded' : 'failed',
      secrets: tally.secrets,
      compliant,
      nonCompliant: tally.nonCompliant,
      compliantPercent: percent(compliant, tally.secrets),
      listSecretsCalls,
      durationMs: evaluation.durationMs ?? 0,
      ...(evaluation.error ? { errorMessage: evaluation.error } : {}),
      actor: options.actor,
    },
  });
  return evaluation;
}

export const percent = (part: number, whole: number) => (whole === 0 ? 100 : Math.round((part / whole) * 10_000) / 100);

/**
 * Re-evaluates one secret (after one of its events): DescribeSecret through its account's
 * inventory role; a deleted secret's record is removed. Returns the new record.
 */
export async function evaluateOne(deps: EvaluatorDeps, secretId: string, options: { trigger: Trigger; actor: string; /** where a secret named by name (not ARN) lives */ where?: Home }): Promise<SecretRecord | undefined> {
  const started = deps.now();
  const where = secretId.startsWith('arn:') || !options.where ? secretLocation(secretId, deps.home) : options.where;
  const evaluationId = newEvaluationId();
  let described;
  try {
    described = await deps.inventoryFor(where).send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (err) {
    if ((err as Error).name !== 'ResourceNotFoundException') throw err;
  }
  if (!described?.ARN || described.DeletedDate) {
    if (secretId.startsWith('arn:')) await deps.store.deleteSecret(described?.ARN ?? secretId, where.account, where.region);
    return undefined;
  }
  const entry = described as SecretListEntry;
  const previous = await deps.store.getSecret(described.ARN, where.account, where.region);
  const at = new Date(deps.now()).toISOString();
  const { record, changes } = await assess(deps, entry, previous, at);
  if (changes.length) await deps.store.addHistory(record.arn, changes);
  await deps.store.putSecrets([record]);
  const event = changedEvent(previous, record, changes, evaluationId, options.actor);
  const compliant = recordCompliant(record);
  await deps.audit.publish(
    ...(event ? [{ detailType: 'Compliance Changed' as const, detail: event }] : []),
    {
      detailType: 'Compliance Evaluated' as const,
      detail: {
        evaluationId,
        trigger: options.trigger,
        account: deps.home.account,
        region: deps.home.region,
        outcome: 'succeeded' as const,
        secrets: 1,
        compliant: compliant ? 1 : 0,
        nonCompliant: compliant ? 0 : 1,
        compliantPercent: compliant ? 100 : 0,
        listSecretsCalls: 0,
        durationMs: deps.now() - started,
        secretArn: record.arn,
        actor: options.actor,
      },
    },
  );
  return record;
}
