import { epochSeconds } from '../../validation.ts';
import type { SecretRecord, SecretVersion } from './model.ts';
import { automaticallyAfterDays, storedSchedule, type Window } from './schedule.ts';

/**
 * Secrets Manager's response shapes (moto's "responses" side): records in, JSON members out.
 * Members without a value are left undefined (JSON leaves them out) and arrays are not copied:
 * the gateway serialises an answer at once, and ListSecrets shapes a hundred of these a page.
 */

/**
 * DescribeSecret's answer (and one ListSecrets entry) as JSON text, written field by field:
 * ListSecrets shapes a hundred of these per page, and building the text directly costs a third of
 * building objects and serialising them.
 */
export function describeSecretJson(secret: SecretRecord, versionsKey: 'VersionIdsToStages' | 'SecretVersionsToStages', window: Window | undefined, now: number): string {
  const rotation = secret.rotation;
  let out = `{"ARN":${JSON.stringify(secret.arn)},"Name":${JSON.stringify(secret.name)}`;
  const member = (key: string, value: unknown) => {
    if (value !== undefined) out += `,"${key}":${JSON.stringify(value)}`;
  };
  member('Description', secret.description);
  member('KmsKeyId', secret.kmsKeyId);
  if (rotation.lambdaArn !== undefined) {
    member('RotationEnabled', rotation.enabled);
    member('RotationLambdaARN', rotation.lambdaArn);
  }
  if (rotation.rules) {
    member('RotationRules', { ...rotation.rules, AutomaticallyAfterDays: rotation.rules.AutomaticallyAfterDays ?? automaticallyAfterDays(storedSchedule(rotation.rules), now) });
  }
  // The service reports no LastRotatedDate while rotation is off.
  if (rotation.enabled) member('LastRotatedDate', epochSeconds(secret.lastRotated));
  member('LastChangedDate', epochSeconds(secret.lastChanged));
  member('LastAccessedDate', epochSeconds(secret.lastAccessed));
  member('DeletedDate', epochSeconds(secret.deletedDate));
  // "The latest date that rotation will occur": the last second of the next window.
  if (rotation.enabled && window) member('NextRotationDate', (window.end - 1000) / 1000);
  if (secret.tags.length) member('Tags', secret.tags);
  let versions = '';
  for (const version of secret.versions) {
    // A version without labels is deprecated: the service no longer lists it here.
    if (version.stages.length) versions += `${versions ? ',' : ''}${JSON.stringify(version.id)}:${JSON.stringify(version.stages)}`;
  }
  return `${out},"${versionsKey}":{${versions}},"CreatedDate":${secret.created / 1000}}`;
}

export function secretValue(secret: SecretRecord, version: SecretVersion) {
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.id,
    SecretString: version.secretString,
    SecretBinary: version.secretBinary,
    VersionStages: version.stages,
    CreatedDate: epochSeconds(version.created),
  };
}

export function versionEntry(version: SecretVersion) {
  return {
    VersionId: version.id,
    VersionStages: version.stages,
    LastAccessedDate: epochSeconds(version.lastAccessed),
    CreatedDate: epochSeconds(version.created),
    KmsKeyIds: ['DefaultEncryptionKey'],
  };
}

export const nameAndArn = (secret: SecretRecord) => ({ ARN: secret.arn, Name: secret.name });
