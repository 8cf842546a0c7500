import type { SecretListEntry } from '@aws-sdk/client-secrets-manager';
import type { RotationStatus } from '../../shared/rotation/status-store.ts';
import { accountOf, regionOf } from '../../shared/runtime/settings.ts';
import type { SecretFacts } from './rules.ts';

const time = (d: Date | undefined) => (d ? d.getTime() : undefined);

/** What the rules read of a ListSecrets entry (which never carries a value). */
export function factsOf(entry: SecretListEntry): SecretFacts {
  const arn = entry.ARN!;
  const facts: SecretFacts = {
    arn,
    name: entry.Name ?? arn,
    account: accountOf(arn)!,
    region: regionOf(arn)!,
    tags: Object.fromEntries((entry.Tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? ''])),
    rotationEnabled: entry.RotationEnabled === true,
  };
  if (entry.RotationLambdaARN) facts.rotationLambdaArn = entry.RotationLambdaARN;
  if (entry.RotationRules) facts.rotationRules = { ...entry.RotationRules };
  const created = time(entry.CreatedDate);
  if (created !== undefined) facts.createdAt = created;
  const rotated = time(entry.LastRotatedDate);
  if (rotated !== undefined) facts.lastRotatedAt = rotated;
  const accessed = time(entry.LastAccessedDate);
  if (accessed !== undefined) facts.lastAccessedAt = accessed;
  const next = time(entry.NextRotationDate);
  if (next !== undefined) facts.nextRotationAt = next;
  return facts;
}

/** Rotation is failing now when the rotator's latest failure is newer than its latest success. */
export function failingNow(status: Pick<RotationStatus, 'lastFailure' | 'lastSuccess'>): SecretFacts['lastFailure'] {
  const { lastFailure, lastSuccess } = status;
  if (!lastFailure || (lastSuccess && lastSuccess.at >= lastFailure.at)) return undefined;
  return { at: lastFailure.at, step: lastFailure.step, reason: lastFailure.reason ?? 'no reason recorded', ...(lastFailure.errorClass ? { errorClass: lastFailure.errorClass } : {}) };
}
