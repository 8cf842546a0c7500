import { randomBytes } from 'node:crypto';
import {
  CancelRotateSecretCommand,
  DescribeSecretCommand,
  InvalidRequestException,
  ResourceNotFoundException,
  RotateSecretCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { AuditSink } from '../../shared/audit/audit-publisher.ts';
import { parseRotationRules, ScheduleError } from '../../shared/schedule/rotation-schedule.ts';
import type { OnboardingRecord, OnboardingRecords, OnboardingStatus } from '../onboarding/records.ts';
import type { RotationStatusStore } from '../../shared/rotation-status/rotation-status-store.ts';
import type { OnboardingRequest, OnboardingState } from '../onboarding/state.ts';
import { rotationRulesFor } from '../onboarding/steps/validate.ts';
import type { Caller } from './auth.ts';
import { ownerOf } from '../../shared/ownership.ts';
import { unfinishedPendingVersion } from '../../shared/staging-labels.ts';
import { problem } from './problem.ts';
import { ONBOARDING_TAGS, TAGS } from '../../shared/names.ts';

/** Starts the onboarding workflow: Step Functions on AWS, the local runner in the embedded default. */
export interface WorkflowStarter {
  start(state: OnboardingState): Promise<{ executionArn: string }>;
}

export interface ApiDeps {
  sm: SecretsManagerClient;
  records: OnboardingRecords;
  rotationStatus: Pick<RotationStatusStore, 'get'>;
  audit: AuditSink;
  workflow: WorkflowStarter;
  account: string;
  region: string;
  now(): number;
}


export const newOnboardingId = () => `onb-${randomBytes(12).toString('hex')}`;

function view(record: OnboardingRecord) {
  return {
    onboardingId: record.onboardingId,
    status: record.status,
    secretArn: record.secretArn ?? record.secretId,
    team: record.team,
    ...(record.strategy ? { strategy: record.strategy } : {}),
    schedule: record.schedule,
    ...(record.currentStep ? { currentStep: record.currentStep } : {}),
    steps: record.steps,
    ...(record.failure ? { failure: record.failure } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    links: { self: `/v1/onboardings/${record.onboardingId}` },
  };
}
export type OnboardingView = ReturnType<typeof view>;

async function describeOwned(deps: ApiDeps, caller: Caller, secretId: string, mustBeManaged: boolean): Promise<DescribeSecretCommandOutput> {
  let described: DescribeSecretCommandOutput;
  try {
    described = await deps.sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (err) {
    if (err instanceof ResourceNotFoundException) throw problem(404, 'secret-not-found', `no secret "${secretId}" in ${deps.region}: check the name or ARN`);
    throw err;
  }
  const tag = (key: string) => described.Tags?.find((t) => t.Key === key)?.Value;
  const team = ownerOf(described.Tags);
  // Another team's secret is reported as not found: its existence is not the caller's business.
  if (team && team !== caller.team) throw problem(404, 'secret-not-found', `no secret "${secretId}" of team ${caller.team}`);
  if (!team) {
    throw problem(
      403,
      'secret-not-owned',
      `secret "${secretId}" has no ${TAGS.team} tag: tag it ${TAGS.team}=${caller.team} (with your own rights on it) to show it is your team's`,
    );
  }
  if (mustBeManaged && tag(TAGS.managed) !== 'true') {
    throw problem(404, 'secret-not-onboarded', `secret "${secretId}" is not onboarded by team ${caller.team}: onboard it first (POST /v1/onboardings)`);
  }
  if (described.DeletedDate) throw problem(409, 'secret-deleted', 'the secret is scheduled for deletion: restore it first');
  return described;
}

export async function createOnboarding(deps: ApiDeps, caller: Caller, request: OnboardingRequest): Promise<OnboardingView> {
  if (request.team !== caller.team) throw problem(403, 'wrong-team', `you act for team ${caller.team}: set "team" to "${caller.team}"`);
  const rules = rotationRulesFor(request.schedule, request.window);
  try {
    parseRotationRules(rules, { now: deps.now() });
  } catch (err) {
    if (err instanceof ScheduleError) {
      throw problem(400, 'invalid-schedule', err.message, [{ path: request.window && /window|Duration/i.test(err.message) ? '/window' : '/schedule', message: err.message }]);
    }
    throw err;
  }
  const described = await describeOwned(deps, caller, request.secretId, false);
  const onboardingId = newOnboardingId();
  const now = new Date(deps.now()).toISOString();
  const record: OnboardingRecord = {
    onboardingId,
    team: caller.team,
    secretId: request.secretId,
    secretArn: described.ARN,
    status: 'pending',
    strategy: request.strategy,
    schedule: request.schedule,
    steps: [],
    createdAt: now,
    updatedAt: now,
  };
  await deps.records.create(record);
  await deps.audit.publish({
    detailType: 'Onboarding Requested',
    detail: { secretArn: described.ARN!, account: deps.account, region: deps.region, onboardingId, step: 'Requested', outcome: 'succeeded', durationMs: 0, actor: caller.actor },
  });
  try {
    const { executionArn } = await deps.workflow.start({ onboardingId, actor: caller.actor, request: { ...request, secretId: described.ARN! } });
    await deps.records.setExecutionArn(onboardingId, executionArn);
  } catch (err) {
    // Nothing was changed yet: the record says so, and a retry (even with the same key) starts afresh.
    await deps.records.recordStep(onboardingId, { step: 'Start', outcome: 'failed', at: new Date(deps.now()).toISOString(), message: (err as Error).name }, 'failed', {
      failure: { step: 'Start', errorClass: (err as Error).name, reason: 'the workflow could not be started; nothing was changed' },
    });
    throw problem(503, 'workflow-unavailable', 'the onboarding workflow could not be started (nothing was changed): retry in a moment');
  }
  return view(record);
}

export async function getOnboarding(deps: ApiDeps, caller: Caller, onboardingId: string): Promise<OnboardingView> {
  const record = await deps.records.get(onboardingId);
  if (!record || record.team !== caller.team) throw problem(404, 'onboarding-not-found', `no onboarding ${onboardingId} of team ${caller.team}`);
  return view(record);
}

export async function listOnboardings(deps: ApiDeps, caller: Caller, query: { status?: OnboardingStatus; limit?: number; nextToken?: string }) {
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
  // A status filter applies after DynamoDB's page limit: keep reading until the page is full.
  const limit = query.limit ?? 25;
  const items: OnboardingRecord[] = [];
  let lastKey = startKey;
  do {
    const page = await deps.records.listByTeam(caller.team, { status: query.status, limit: limit - items.length, startKey: lastKey });
    items.push(...page.items);
    lastKey = page.lastKey;
  } while (lastKey && items.length < limit);
  return {
    items: items.map(view),
    ...(lastKey ? { nextToken: Buffer.from(JSON.stringify(lastKey)).toString('base64url') } : {}),
  };
}

/** Offboards: rotation cancelled, onboarding's tags removed, the secret released; its value is untouched. */
export async function offboard(deps: ApiDeps, caller: Caller, onboardingId: string): Promise<OnboardingView> {
  const record = await deps.records.get(onboardingId);
  if (!record || record.team !== caller.team) throw problem(404, 'onboarding-not-found', `no onboarding ${onboardingId} of team ${caller.team}`);
  if (record.status === 'pending' || record.status === 'running') throw problem(409, 'onboarding-running', 'the onboarding is still running: wait for it to finish, then offboard');
  if (record.status === 'offboarded') return view(record);
  const secretArn = record.secretArn!;
  // Only the onboarding that holds the secret touches it: after a release, another may own it.
  if (record.status === 'succeeded' && (await deps.records.lockHolder(secretArn)) === onboardingId) {
    try {
      await deps.sm.send(new CancelRotateSecretCommand({ SecretId: secretArn }));
      // A rotation cut short leaves AWSPENDING, which would block every later RotateSecret.
      const pending = unfinishedPendingVersion((await deps.sm.send(new DescribeSecretCommand({ SecretId: secretArn }))).VersionIdsToStages);
      if (pending) await deps.sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending }));
      await deps.sm.send(new UntagResourceCommand({ SecretId: secretArn, TagKeys: ONBOARDING_TAGS }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
    await deps.records.releaseSecret(secretArn, onboardingId);
  }
  const at = new Date(deps.now()).toISOString();
  await deps.records.recordStep(onboardingId, { step: 'Offboard', outcome: 'succeeded', at }, 'offboarded');
  await deps.audit.publish({
    detailType: 'Offboarded',
    detail: { secretArn, account: deps.account, region: deps.region, onboardingId, step: 'Offboard', outcome: 'succeeded', durationMs: 0, actor: caller.actor },
  });
  return view((await deps.records.get(onboardingId))!);
}

export async function rotateNow(deps: ApiDeps, caller: Caller, secretId: string) {
  const described = await describeOwned(deps, caller, secretId, true);
  try {
    const out = await deps.sm.send(new RotateSecretCommand({ SecretId: described.ARN }));
    return { secretArn: described.ARN!, versionId: out.VersionId! };
  } catch (err) {
    if (err instanceof InvalidRequestException && /previous rotation/i.test(err.message)) {
      throw problem(409, 'rotation-in-progress', 'a rotation of this secret is still in progress: wait for it, or see GET /v1/secrets/{secretId}/rotation');
    }
    throw err;
  }
}

export async function getRotation(deps: ApiDeps, caller: Caller, secretId: string) {
  const described = await describeOwned(deps, caller, secretId, false);
  const iso = (d: Date | undefined) => (d ? d.toISOString() : undefined);
  const { lastFailure, lastSuccess } = await deps.rotationStatus.get(described.ARN!);
  // A failure older than the last success is history, not the current state.
  const failure = lastFailure && (!lastSuccess || lastFailure.at > lastSuccess.at) ? lastFailure : undefined;
  return {
    ...(failure ? { lastFailure: { at: failure.at, step: failure.step, errorClass: failure.errorClass, reason: failure.reason } } : {}),
    secretArn: described.ARN!,
    enabled: described.RotationEnabled === true,
    ...(described.RotationLambdaARN ? { rotationLambdaArn: described.RotationLambdaARN } : {}),
    ...(described.RotationRules ? { rules: described.RotationRules } : {}),
    ...(described.LastRotatedDate ? { lastRotatedAt: iso(described.LastRotatedDate) } : {}),
    ...(described.NextRotationDate ? { nextRotationBy: iso(described.NextRotationDate) } : {}),
  };
}
