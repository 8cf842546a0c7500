import { ListSecretsCommand, type SecretListEntry } from '@aws-sdk/client-secrets-manager';
import { TAGS } from '../../shared/names.ts';
import { ownerOf } from '../../shared/ownership.ts';
import type { SecretSummary } from '../../shared/contract/types.ts';
import { accountOf, regionOf } from '../../shared/runtime/settings.ts';
import type { Caller } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { problem } from './problem.ts';

interface Cursor {
  /** Index into the (account, region) scopes being listed. */
  s: number;
  /** Secrets Manager's own NextToken within that scope. */
  t?: string;
}

const tag = (entry: SecretListEntry, key: string) => entry.Tags?.find((t) => t.Key === key)?.Value;

function summary(entry: SecretListEntry, ourRotators: ReadonlySet<string>): SecretSummary {
  const arn = entry.ARN!;
  const onboardingId = tag(entry, TAGS.onboardingId);
  const serviceType = tag(entry, TAGS.serviceType);
  return {
    secretArn: arn,
    name: entry.Name!,
    account: accountOf(arn)!,
    region: regionOf(arn)!,
    team: ownerOf(entry.Tags)!,
    onboarded: tag(entry, TAGS.managed) === 'true',
    ...(onboardingId ? { onboardingId } : {}),
    rotationEnabled: entry.RotationEnabled === true,
    rotatedBy: entry.RotationEnabled ? (entry.RotationLambdaARN && ourRotators.has(entry.RotationLambdaARN) ? 'fleet-rotator' : 'other') : 'none',
    ...(serviceType ? { serviceType } : {}),
    ...(entry.LastRotatedDate ? { lastRotatedAt: entry.LastRotatedDate.toISOString() } : {}),
    ...(entry.NextRotationDate ? { nextRotationBy: entry.NextRotationDate.toISOString() } : {}),
  };
}

/**
 * The caller's team's secrets in every account and region the control plane serves, found through
 * each account's inventory role (list and describe only). Secrets Manager filters by the team tag;
 * what it cannot (the tag key and value together) is checked here. One page may span scopes; the
 * next token says where to go on.
 */
export async function listTeamSecrets(deps: ApiDeps, caller: Caller, query: { account?: string; region?: string; onboarded?: boolean; namePrefix?: string; limit?: number; nextToken?: string }) {
  const scopes = deps.scopes().filter((s) => (!query.account || s.account === query.account) && (!query.region || s.region === query.region));
  let cursor: Cursor = { s: 0 };
  if (query.nextToken) {
    try {
      cursor = JSON.parse(Buffer.from(query.nextToken, 'base64url').toString('utf8')) as Cursor;
      if (!Number.isInteger(cursor.s) || cursor.s < 0 || (cursor.t !== undefined && typeof cursor.t !== 'string')) throw new Error('bad cursor');
    } catch {
      throw problem(400, 'invalid-next-token', 'nextToken is not one this API returned for this listing: start from the first page');
    }
  }
  const limit = query.limit ?? 25;
  const items: SecretSummary[] = [];
  const filters = [
    { Key: 'tag-key' as const, Values: [TAGS.team] },
    { Key: 'tag-value' as const, Values: [caller.team] },
    ...(query.namePrefix ? [{ Key: 'name' as const, Values: [query.namePrefix] }] : []),
  ];
  while (cursor.s < scopes.length && items.length < limit) {
    const scope = scopes[cursor.s]!;
    const page = await deps.inventoryFor(scope).send(new ListSecretsCommand({ Filters: filters, MaxResults: limit - items.length, ...(cursor.t ? { NextToken: cursor.t } : {}) }));
    for (const entry of page.SecretList ?? []) {
      if (ownerOf(entry.Tags) !== caller.team) continue;
      const item = summary(entry, deps.ourRotators);
      if (query.onboarded === undefined || item.onboarded === query.onboarded) items.push(item);
    }
    cursor = page.NextToken ? { s: cursor.s, t: page.NextToken } : { s: cursor.s + 1 };
  }
  // The last failure of each listed secret, from the rotator's record of how its rotations ended.
  await Promise.all(
    items.map(async (item) => {
      const { lastFailure, lastSuccess } = await deps.rotationStatus.get(item.secretArn);
      if (lastFailure && (!lastSuccess || lastFailure.at > lastSuccess.at)) {
        item.lastFailure = { at: lastFailure.at, step: lastFailure.step, reason: lastFailure.reason ?? '', ...(lastFailure.errorClass ? { errorClass: lastFailure.errorClass } : {}) };
      }
    }),
  );
  return { items, ...(cursor.s < scopes.length ? { nextToken: Buffer.from(JSON.stringify(cursor)).toString('base64url') } : {}) };
}
