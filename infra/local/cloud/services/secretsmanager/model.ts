import { randomChars } from '../../random-ids.ts';
import type { RotationRules } from './schedule.ts';
import { AwsError, invalidRequest } from '../../errors.ts';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export const AWSPENDING = 'AWSPENDING';

/** The service's limits that the model enforces. */
export const MAX_STAGES_PER_VERSION = 20;
const MAX_DEPRECATED_VERSIONS = 100;
const DEPRECATED_MIN_AGE_MS = 24 * 3_600_000;

export interface Tag {
  Key: string;
  Value: string;
}

export interface SecretVersion {
  id: string;
  created: number;
  stages: string[];
  /** Absent on the placeholder version RotateSecret creates before createSecret puts a value. */
  secretString?: string;
  /** Base64, as the JSON protocol carries blobs. */
  secretBinary?: string;
  lastAccessed?: number;
}

/** A rotation the service has started and not yet finished: kept so it is retried, even after a restart. */
export interface RotationAttempt {
  token: string;
  startedAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: { step: string; errorType: string; message: string; at: number };
  /**
   * Set while an attempt runs (and durable before its first step): an attempt still marked
   * running when the cloud starts was interrupted by a crash, and is retried at once.
   */
  running?: { since: number; step: string };
  /** What the function must pass back as RotationToken; a new one for every attempt. */
  rotationToken?: string;
}

export interface RotationState {
  enabled: boolean;
  lambdaArn?: string;
  rules?: RotationRules;
  /** When the current rules were set: the base of the schedule until a rotation happens. */
  configuredAt?: number;
  inProgress?: RotationAttempt;
  /** The last rotation that gave up, kept for `/_local` inspection after `inProgress` is cleared. */
  lastFailure?: RotationAttempt;
}

export interface SecretRecord {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  created: number;
  lastChanged: number;
  /** Last time a new value was stored: AutomaticallyAfterDays counts from it as from a rotation. */
  lastValueChange?: number;
  lastAccessed?: number;
  lastRotated?: number;
  deletedDate?: number;
  deletionDate?: number;
  tags: Tag[];
  policy?: string;
  versions: SecretVersion[];
  rotation: RotationState;
}

export function secretArn(region: string, account: string, name: string): string {
  // Six random characters, as the service appends, so a recreated secret never reuses an ARN.
  const suffix = randomChars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 6);
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
}

/** Most operations refuse a secret scheduled for deletion until it is restored. */
export function requireLive(secret: SecretRecord): SecretRecord {
  if (secret.deletedDate !== undefined) {
    throw invalidRequest("You can't perform this operation on the secret because it was marked for deletion.");
  }
  return secret;
}

export function versionWithStage(secret: SecretRecord, stage: string): SecretVersion | undefined {
  return secret.versions.find((v) => v.stages.includes(stage));
}

export function findVersion(secret: SecretRecord, versionId: string): SecretVersion | undefined {
  return secret.versions.find((v) => v.id === versionId);
}

/**
 * Puts `stage` on `target`, taking it off whichever version had it (a label names one version).
 * Moving AWSCURRENT hands AWSPREVIOUS to the version that loses AWSCURRENT, as the service does.
 */
export function moveStage(secret: SecretRecord, stage: string, target: SecretVersion): void {
  const holder = versionWithStage(secret, stage);
  if (holder === target) return;
  if (!target.stages.includes(stage) && target.stages.length >= MAX_STAGES_PER_VERSION) {
    throw new AwsError('LimitExceededException', `A version can have at most ${MAX_STAGES_PER_VERSION} staging labels.`);
  }
  if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
  target.stages.push(stage);
  if (stage === AWSCURRENT && holder) moveStage(secret, AWSPREVIOUS, holder);
}

export function removeStage(version: SecretVersion, stage: string): void {
  version.stages = version.stages.filter((s) => s !== stage);
}

export function isDeprecated(version: SecretVersion): boolean {
  return version.stages.length === 0;
}

/** The service deletes deprecated versions beyond 100, oldest first, never one younger than a day. */
export function pruneDeprecatedVersions(secret: SecretRecord, now: number): void {
  const deprecated = secret.versions.filter(isDeprecated);
  let excess = deprecated.length - MAX_DEPRECATED_VERSIONS;
  if (excess <= 0) return;
  const doomed = new Set<SecretVersion>();
  for (const version of deprecated) {
    if (excess === 0) break;
    if (now - version.created < DEPRECATED_MIN_AGE_MS) continue;
    doomed.add(version);
    excess--;
  }
  secret.versions = secret.versions.filter((v) => !doomed.has(v));
}

/** A rotation is unfinished while some version carries AWSPENDING without AWSCURRENT. */
export function unfinishedPendingVersion(secret: SecretRecord): SecretVersion | undefined {
  const pending = versionWithStage(secret, AWSPENDING);
  return pending && !pending.stages.includes(AWSCURRENT) ? pending : undefined;
}

export function hasValue(version: SecretVersion): boolean {
  return version.secretString !== undefined || version.secretBinary !== undefined;
}

export function sameValue(version: SecretVersion, value: { secretString?: string; secretBinary?: string }): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}

/** LastAccessedDate is kept to the day, as the service rounds it. */
export function accessDay(epochMs: number): number {
  return Math.floor(epochMs / 86_400_000) * 86_400_000;
}
