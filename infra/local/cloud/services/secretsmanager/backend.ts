import { randomUUID } from 'node:crypto';
import { parsePolicy, PolicySyntaxError, type Statement } from '../../auth/policy-document.ts';
import type { Caller } from '../../auth/principals.ts';
import type { Clock } from '../../clock.ts';
import { AwsError, invalidParameter, invalidRequest, notFound, resourceExists } from '../../errors.ts';
import type { Scope } from '../../scopes.ts';
import { decodeNextToken, encodeNextToken } from '../../validation.ts';
import { matchesFilters } from './list-filters.ts';
import {
  AWSCURRENT,
  AWSPENDING,
  accessDay,
  findVersion,
  hasValue,
  isDeprecated,
  moveStage,
  pruneDeprecatedVersions,
  removeStage,
  requireLive,
  sameValue,
  secretArn,
  unfinishedPendingVersion,
  versionWithStage,
  type SecretRecord,
  type SecretVersion,
  type Tag,
} from './model.ts';
import type { RotationEngine } from './rotation-engine.ts';
import { parseRules, ScheduleError } from './schedule.ts';
import { MAX_TAGS, type Inputs } from './shapes.ts';
import { SecretStore } from './secret-store.ts';

/**
 * Secrets Manager's behaviour for one account-region (moto's "backend"): versions and staging
 * labels, tags, resource policies, deletion, and the start of rotations. Inputs arrive validated;
 * results are records, which the provider shapes into responses.
 */
type Value = { secretString?: string; secretBinary?: string };

export interface SecretsDeps {
  clock: Clock;
  rotation: RotationEngine;
}

function valueOf(input: { SecretString?: string; SecretBinary?: string }): Value | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw invalidParameter('You can provide either SecretString or SecretBinary, not both.');
  }
  if (input.SecretString !== undefined) return { secretString: input.SecretString };
  if (input.SecretBinary !== undefined) return { secretBinary: input.SecretBinary };
  return undefined;
}

function checkTags(tags: Tag[]): void {
  for (const t of tags) {
    if (t.Key.toLowerCase().startsWith('aws:')) throw invalidParameter(`Tag keys starting with "aws:" are reserved: ${t.Key}.`);
  }
}

function requireToken(tokenValue: string | undefined): string {
  if (tokenValue === undefined) throw invalidRequest('You must provide a ClientRequestToken value. We recommend a UUID-type value.');
  return tokenValue;
}

const policies = new Map<string, Statement[]>();
/** A secret's resource policy as statements (parsed once per distinct document). */
export function resourcePolicy(secret: SecretRecord): Statement[] | undefined {
  if (!secret.policy) return undefined;
  let statements = policies.get(secret.policy);
  if (!statements) {
    statements = parsePolicy(secret.policy, { requirePrincipal: true });
    if (policies.size > 10_000) policies.clear();
    policies.set(secret.policy, statements);
  }
  return statements;
}

function grantsPublicAccess(statement: Statement): boolean {
  const principal = statement.principal;
  const everyone = principal === '*' || (principal !== undefined && principal.AWS?.includes('*') === true);
  return statement.effect === 'Allow' && everyone && Object.keys(statement.condition).length === 0;
}

const SORT_KEYS: Record<string, (s: SecretRecord) => number | string> = {
  'created-date': (s) => s.created,
  'last-accessed-date': (s) => s.lastAccessed ?? 0,
  'last-changed-date': (s) => s.lastChanged,
  name: (s) => s.name,
};

export class SecretsManagerBackend {
  readonly secrets: SecretStore;

  constructor(
    readonly scope: Scope,
    private readonly deps: SecretsDeps,
  ) {
    this.secrets = new SecretStore(scope);
  }

  get account(): string {
    return this.scope.account;
  }

  get region(): string {
    return this.scope.region;
  }

  private get now(): number {
    return this.deps.clock.now();
  }

  find(secretId: string): SecretRecord | undefined {
    return this.secrets.find(secretId);
  }

  require(secretId: string): SecretRecord {
    const secret = this.secrets.find(secretId);
    if (!secret) throw notFound("Secrets Manager can't find the specified secret.");
    return secret;
  }

  live(secretId: string): SecretRecord {
    return requireLive(this.require(secretId));
  }

  commit(): Promise<void> {
    return this.secrets.commit();
  }

  /**
   * Stores a value under `versionId` with `stages` (PutSecretValue's rules): a token already used
   * for the same value succeeds again without change, for another value it fails; the placeholder
   * version a rotation created gets its value. The first version of a secret is always current.
   */
  private storeVersion(secret: SecretRecord, versionId: string, value: Value, stages: string[]): SecretVersion {
    const now = this.now;
    let version = findVersion(secret, versionId);
    if (version && hasValue(version)) {
      if (sameValue(version, value)) return version;
      throw resourceExists(`You can't use ClientRequestToken ${versionId} because that value is already in use for a version of secret ${secret.arn}.`);
    }
    if (!version) {
      version = { id: versionId, created: now, stages: [] };
      secret.versions.push(version);
    }
    Object.assign(version, value);
    const pending = unfinishedPendingVersion(secret);
    for (const stage of stages) moveStage(secret, stage, version);
    if (!versionWithStage(secret, AWSCURRENT)) moveStage(secret, AWSCURRENT, version);
    if (pending && pending !== version && stages.includes(AWSCURRENT)) this.abandonRotation(secret, pending);
    this.deps.rotation.reconcile(secret);
    secret.lastChanged = now;
    secret.lastValueChange = now;
    pruneDeprecatedVersions(secret, now);
    return version;
  }

  /** A new current value written by hand supersedes a rotation in flight, as in the service. */
  private abandonRotation(secret: SecretRecord, pending: SecretVersion): void {
    removeStage(pending, AWSPENDING);
    const token = secret.rotation.inProgress?.token ?? pending.id;
    secret.rotation.inProgress = undefined;
    this.deps.rotation.emit(secret.arn, 'RotationAbandoned', token).catch((err: unknown) => console.error(`[local-cloud] RotationAbandoned event not stored: ${(err as Error).message}`));
  }

  createSecret(input: Inputs['CreateSecret']): { secret: SecretRecord; version?: SecretVersion } {
    if (!/^[A-Za-z0-9/_+=.@-]+$/.test(input.Name)) {
      throw new AwsError('ValidationException', 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
    }
    if (input.AddReplicaRegions?.length) throw invalidRequest('Replication to other regions is not available in the local cloud.');
    const existing = this.secrets.find(input.Name);
    if (existing?.deletedDate !== undefined) {
      throw invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
    }
    if (existing) throw resourceExists(`The operation failed because the secret ${input.Name} already exists.`);
    const tags = input.Tags ?? [];
    checkTags(tags);
    if (tags.length > MAX_TAGS) throw invalidParameter(`A secret can have at most ${MAX_TAGS} tags.`);
    const value = valueOf(input);
    const now = this.now;
    const secret: SecretRecord = {
      arn: secretArn(this.region, this.account, input.Name),
      name: input.Name,
      description: input.Description,
      kmsKeyId: input.KmsKeyId,
      created: now,
      lastChanged: now,
      tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
      versions: [],
      rotation: { enabled: false },
    };
    const version = value ? this.storeVersion(secret, requireToken(input.ClientRequestToken), value, [AWSCURRENT]) : undefined;
    this.secrets.add(secret);
    return { secret, version };
  }

  getSecretValue(input: Inputs['GetSecretValue']): { secret: SecretRecord; version: SecretVersion } {
    const secret = this.live(input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId ? undefined : AWSCURRENT);
    const version = input.VersionId ? findVersion(secret, input.VersionId) : versionWithStage(secret, stage!);
    if (!version || !hasValue(version) || (stage !== undefined && !version.stages.includes(stage))) {
      const what = [input.VersionId && `VersionId: ${input.VersionId}`, stage && `staging label: ${stage}`].filter(Boolean).join(', ');
      throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${what}`);
    }
    // Kept to the day, as the service does: a read writes at most once a day.
    const today = accessDay(this.now);
    if (secret.lastAccessed !== today || version.lastAccessed !== today) {
      secret.lastAccessed = today;
      version.lastAccessed = today;
      this.secrets.changed(secret);
    }
    return { secret, version };
  }

  putSecretValue(input: Inputs['PutSecretValue'], caller: Caller): { secret: SecretRecord; version: SecretVersion } {
    const secret = this.live(input.SecretId);
    this.checkRotationToken(secret, input.RotationToken, caller);
    const value = valueOf(input);
    if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    const version = this.storeVersion(secret, requireToken(input.ClientRequestToken), value, input.VersionStages ?? [AWSCURRENT]);
    this.secrets.changed(secret);
    return { secret, version };
  }

  /**
   * RotationToken proves a write comes from the rotation the service started: a token that is not
   * the current rotation's is refused, and a role session assumed from another account (a
   * cross-account rotation function) must present it while a rotation is in progress.
   */
  private checkRotationToken(secret: SecretRecord, rotationToken: string | undefined, caller: Caller): void {
    const attempt = secret.rotation.inProgress;
    const crossAccount = caller.kind === 'assumed-role' && caller.assumedByAccount !== caller.account;
    const refuse = (why: string) =>
      new AwsError('AccessDeniedException', `User: ${caller.arn} is not authorized to perform: secretsmanager:PutSecretValue on resource: ${secret.arn} because ${why}`);
    if (rotationToken !== undefined) {
      if (!attempt?.rotationToken || attempt.rotationToken !== rotationToken) throw refuse('the RotationToken does not belong to the rotation in progress');
    } else if (crossAccount && attempt) {
      throw refuse('a cross-account rotation must pass the RotationToken of the rotation in progress');
    }
  }

  updateSecret(input: Inputs['UpdateSecret']): { secret: SecretRecord; version?: SecretVersion } {
    const secret = this.live(input.SecretId);
    const value = valueOf(input);
    if (input.Description !== undefined) secret.description = input.Description;
    if (input.KmsKeyId !== undefined) secret.kmsKeyId = input.KmsKeyId;
    secret.lastChanged = this.now;
    const version = value ? this.storeVersion(secret, requireToken(input.ClientRequestToken), value, [AWSCURRENT]) : undefined;
    this.secrets.changed(secret);
    return { secret, version };
  }

  updateSecretVersionStage(input: Inputs['UpdateSecretVersionStage']): SecretRecord {
    const secret = this.live(input.SecretId);
    const stage = input.VersionStage;
    const holder = versionWithStage(secret, stage);
    if (input.RemoveFromVersionId !== undefined && holder?.id !== input.RemoveFromVersionId) {
      throw invalidParameter(
        `When you move staging label ${stage}, if you specify RemoveFromVersionId, it must be set to the version that currently has the staging label ${stage}.`,
      );
    }
    if (input.MoveToVersionId !== undefined) {
      const target = findVersion(secret, input.MoveToVersionId);
      if (!target) throw invalidParameter(`Version ${input.MoveToVersionId} does not exist on secret ${secret.name}.`);
      if (holder && holder !== target && input.RemoveFromVersionId === undefined) {
        throw invalidParameter(
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      moveStage(secret, stage, target);
    } else if (input.RemoveFromVersionId !== undefined) {
      if (stage === AWSCURRENT) {
        throw invalidParameter(`You can't remove the staging label ${AWSCURRENT}: move it to another version with MoveToVersionId instead.`);
      }
      removeStage(holder!, stage);
    } else {
      throw invalidParameter('Specify MoveToVersionId, RemoveFromVersionId, or both.');
    }
    secret.lastChanged = this.now;
    pruneDeprecatedVersions(secret, this.now);
    this.deps.rotation.reconcile(secret);
    this.secrets.changed(secret);
    return secret;
  }

  listSecrets(input: Inputs['ListSecrets']): { page: SecretRecord[]; nextToken?: string } {
    const filters = input.Filters ?? [];
    let matching = input.IncludePlannedDeletion ? this.secrets.all() : this.secrets.notDeleted();
    if (filters.length > 0) matching = matching.filter((s) => matchesFilters(s, filters, this.region));
    const sortBy = input.SortBy ?? 'created-date';
    const descending = input.SortOrder === 'desc';
    // Secrets are kept oldest first already: only other orders need sorting.
    if (sortBy !== 'created-date' || descending) {
      const key = SORT_KEYS[sortBy]!;
      const direction = descending ? -1 : 1;
      matching = [...matching].sort((a, b) => (key(a) < key(b) ? -direction : key(a) > key(b) ? direction : 0));
    }
    const start = decodeNextToken(input.NextToken);
    const limit = input.MaxResults ?? 100;
    return { page: matching.slice(start, start + limit), nextToken: start + limit < matching.length ? encodeNextToken(start + limit) : undefined };
  }

  listSecretVersionIds(input: Inputs['ListSecretVersionIds']): { secret: SecretRecord; page: SecretVersion[]; nextToken?: string } {
    const secret = this.require(input.SecretId);
    const versions = secret.versions.filter((v) => input.IncludeDeprecated || !isDeprecated(v)).reverse();
    const start = decodeNextToken(input.NextToken);
    const limit = input.MaxResults ?? 100;
    return { secret, page: versions.slice(start, start + limit), nextToken: start + limit < versions.length ? encodeNextToken(start + limit) : undefined };
  }

  tagResource(input: Inputs['TagResource']): void {
    const secret = this.live(input.SecretId);
    checkTags(input.Tags);
    const tags = secret.tags.map((t) => ({ ...t }));
    for (const t of input.Tags) {
      const existing = tags.find((e) => e.Key === t.Key);
      if (existing) existing.Value = t.Value;
      else tags.push({ Key: t.Key, Value: t.Value });
    }
    if (tags.length > MAX_TAGS) throw invalidParameter(`A secret can have at most ${MAX_TAGS} tags.`);
    secret.tags = tags;
    secret.lastChanged = this.now;
    this.secrets.changed(secret);
  }

  untagResource(input: Inputs['UntagResource']): void {
    const secret = this.live(input.SecretId);
    secret.tags = secret.tags.filter((t) => !input.TagKeys.includes(t.Key));
    secret.lastChanged = this.now;
    this.secrets.changed(secret);
  }

  putResourcePolicy(input: Inputs['PutResourcePolicy']): SecretRecord {
    const secret = this.live(input.SecretId);
    let statements: Statement[];
    try {
      statements = parsePolicy(input.ResourcePolicy, { requirePrincipal: true });
    } catch (err) {
      if (err instanceof PolicySyntaxError) throw new AwsError('MalformedPolicyDocumentException', `This resource policy contains a syntax error: ${err.message}.`);
      throw err;
    }
    if ((input.BlockPublicPolicy ?? false) && statements.some(grantsPublicAccess)) {
      throw new AwsError('PublicPolicyException', 'This resource policy grants public access: remove the "*" principal or add a condition, or set BlockPublicPolicy to false.');
    }
    secret.policy = input.ResourcePolicy;
    secret.lastChanged = this.now;
    this.secrets.changed(secret);
    return secret;
  }

  deleteResourcePolicy(input: Inputs['DeleteResourcePolicy']): SecretRecord {
    const secret = this.live(input.SecretId);
    secret.policy = undefined;
    secret.lastChanged = this.now;
    this.secrets.changed(secret);
    return secret;
  }

  deleteSecret(input: Inputs['DeleteSecret']): { arn?: string; name: string; deletionDate: number } {
    if (input.RecoveryWindowInDays !== undefined && (input.RecoveryWindowInDays < 7 || input.RecoveryWindowInDays > 30)) {
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
      throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const now = this.now;
    const secret = this.secrets.find(input.SecretId);
    if (input.ForceDeleteWithoutRecovery) {
      // The service answers a forced delete of a missing secret without an error.
      if (!secret) return { arn: input.SecretId.startsWith('arn:') ? input.SecretId : undefined, name: input.SecretId, deletionDate: now };
      this.secrets.remove(secret);
      return { arn: secret.arn, name: secret.name, deletionDate: now };
    }
    if (!secret) throw notFound("Secrets Manager can't find the specified secret.");
    if (secret.deletedDate !== undefined) throw invalidRequest("You tried to perform the operation on a secret that's currently marked deleted.");
    secret.deletedDate = now;
    secret.deletionDate = now + (input.RecoveryWindowInDays ?? 30) * 86_400_000;
    this.secrets.changed(secret);
    return { arn: secret.arn, name: secret.name, deletionDate: secret.deletionDate };
  }

  restoreSecret(input: Inputs['RestoreSecret']): SecretRecord {
    const secret = this.require(input.SecretId);
    secret.deletedDate = undefined;
    secret.deletionDate = undefined;
    secret.lastChanged = this.now;
    this.secrets.changed(secret);
    return secret;
  }

  /** Removes secrets whose recovery window has ended. */
  purgeExpired(now: number): void {
    const ended = this.secrets.all().filter((s) => s.deletionDate !== undefined && s.deletionDate <= now);
    for (const secret of ended) this.secrets.remove(secret);
  }

  async rotateSecret(input: Inputs['RotateSecret']): Promise<{ secret: SecretRecord; versionId?: string }> {
    const secret = this.live(input.SecretId);
    const rotation = this.deps.rotation;
    const rules = input.RotationRules ?? secret.rotation.rules;
    if (input.RotationRules) {
      try {
        parseRules(input.RotationRules, this.now);
      } catch (err) {
        if (err instanceof ScheduleError) throw invalidParameter(err.message);
        throw err;
      }
    }
    const lambdaArn = input.RotationLambdaARN ?? secret.rotation.lambdaArn;
    if (!lambdaArn) throw invalidRequest('No Lambda rotation function ARN is associated with this secret.');
    // A rotation still finishing (AWSCURRENT moved, AWSPENDING not yet cleared) counts as unfinished too.
    if (unfinishedPendingVersion(secret) || rotation.isBusy(secret.arn)) {
      throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
    }
    const versionId = input.RotateImmediately === false ? undefined : (input.ClientRequestToken ?? randomUUID());
    if (versionId && findVersion(secret, versionId)) {
      throw resourceExists(`You can't use ClientRequestToken ${versionId} because that value is already in use for a version of secret ${secret.arn}.`);
    }
    if (!(await rotation.canInvoke(lambdaArn, secret))) {
      throw new AwsError(
        'AccessDeniedException',
        'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
      );
    }
    const now = this.now;
    secret.rotation = { enabled: true, lambdaArn, rules, configuredAt: now, lastFailure: secret.rotation.lastFailure };
    secret.lastChanged = now;
    this.secrets.changed(secret);
    if (input.RotateImmediately === false) {
      await this.commit();
      await rotation.testConfiguration(this, secret, lambdaArn);
      return { secret };
    }
    const attempt = rotation.begin(this, secret, versionId!);
    await this.commit();
    // Rotation runs after the call returns, as the service's does.
    setImmediate(() => void rotation.kick(secret.arn));
    return { secret, versionId: attempt.token };
  }

  cancelRotateSecret(input: Inputs['CancelRotateSecret']): { secret: SecretRecord; token?: string } {
    const secret = this.live(input.SecretId);
    const token = secret.rotation.inProgress?.token;
    // Labels stay where they are: the user removes a leftover AWSPENDING, as with the service.
    secret.rotation = { ...secret.rotation, enabled: false, inProgress: undefined };
    secret.lastChanged = this.now;
    this.secrets.changed(secret);
    return { secret, token };
  }
}
