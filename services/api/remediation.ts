import type { Onboarding, OnboardingBatchRequest, RemediationRequest } from '../../shared/contract/types.ts';
import type { RuleId } from '../compliance/rules.ts';
import type { IdempotentCreate } from './app.ts';
import type { Caller } from './auth.ts';
import { remediableSecret, secretsFromFindings } from './compliance.ts';
import type { ApiDeps } from './deps.ts';
import { holderOf, offboard } from './onboardings.ts';
import { problemFor, problem, ProblemError } from './problem.ts';

/**
 * Onboards a secret, or onboards it again: an onboarding that succeeded earlier (its rotation since
 * turned off, failing, or too rare) is offboarded first. The create is idempotent per key, so a
 * retried call returns the onboarding the first one started and never offboards it.
 */
async function onboardOrReonboard(deps: ApiDeps, create: IdempotentCreate, caller: Caller, idempotencyKey: string, request: Parameters<IdempotentCreate>[0]['request']): Promise<Onboarding> {
  try {
    return await create({ team: caller.team, idempotencyKey, caller, request });
  } catch (err) {
    if (!(err instanceof ProblemError) || !err.problem.type.endsWith('/already-onboarded')) throw err;
    const holder = await holderOf(deps, request.secretId);
    if (!holder || holder.status !== 'succeeded' || holder.team !== caller.team) throw err;
    await offboard(deps, caller, holder.onboardingId);
    return create({ team: caller.team, idempotencyKey, caller, request });
  }
}

export async function remediateFinding(deps: ApiDeps, create: IdempotentCreate, caller: Caller, findingId: string, idempotencyKey: string, body: RemediationRequest): Promise<Onboarding> {
  const { secretArn } = await remediableSecret(deps, caller, findingId);
  return onboardOrReonboard(deps, create, caller, idempotencyKey, { secretId: secretArn, schedule: body.schedule, ...(body.window ? { window: body.window } : {}), ...(body.strategy ? { strategy: body.strategy } : {}) });
}

const MAX_BATCH = 100;

/** Up to 100 of the team's secrets, each its own onboarding with the one schedule; one result per secret. */
export async function onboardBatch(deps: ApiDeps, create: IdempotentCreate, caller: Caller, idempotencyKey: string, body: OnboardingBatchRequest) {
  if (body.secretIds && body.fromFindings) throw problem(400, 'invalid-request', 'name the secrets (secretIds) or take them from findings (fromFindings), not both');
  if (!body.secretIds && !body.fromFindings) throw problem(400, 'invalid-request', 'name the secrets (secretIds, up to 100) or take them from the team\'s findings (fromFindings)');
  const ids = body.secretIds ? [...new Set(body.secretIds)] : await secretsFromFindings(deps, caller, { ...(body.fromFindings!.rule ? { rule: body.fromFindings!.rule as RuleId } : {}), account: body.fromFindings!.account, region: body.fromFindings!.region });
  if (ids.length > MAX_BATCH) throw problem(422, 'batch-too-large', `${ids.length} secrets match: at most ${MAX_BATCH} in one batch (narrow fromFindings by account or region)`);
  const items = [];
  // One at a time: each starts a workflow and the workflow's quotas are shared; the item's key is the batch's key and its position.
  for (const [index, secretId] of ids.entries()) {
    try {
      const onboarding = await onboardOrReonboard(deps, create, caller, `${idempotencyKey}#${index}#${secretId}`.slice(0, 1024), {
        secretId,
        schedule: body.schedule,
        ...(body.window ? { window: body.window } : {}),
        ...(body.strategy ? { strategy: body.strategy } : {}),
        ...(body.rotateImmediately !== undefined ? { rotateImmediately: body.rotateImmediately } : {}),
      });
      items.push({ secretId, status: 202, onboarding });
    } catch (err) {
      const answer = problemFor(err);
      if (answer.problem.status >= 500 && !(err instanceof ProblemError)) deps.log('batch item failed', { errorName: (err as Error).name, errorMessage: (err as Error).message });
      items.push({ secretId, status: answer.problem.status, problem: answer.problem });
    }
  }
  return { items };
}
