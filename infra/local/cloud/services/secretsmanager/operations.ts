import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { derivedAutomaticallyAfterDays, parseRotationRules, ScheduleError } from '../../../../../shared/schedule/rotation-schedule.ts';
import { AwsError, invalidParameter, invalidRequest, resourceExists } from '../../errors.ts';
import type { ServiceContext } from '../../context.ts';
import { compact, decodeNextToken, encodeNextToken, epochSeconds, parseInput } from '../../validation.ts';
import { matchesFilters } from './list-filters.ts';
import {
  AWSCURRENT,
  AWSPENDING,
  accessDay,
  findSecret,
  findVersion,
  hasValue,
  isDeprecated,
  moveStage,
  pruneDeprecatedVersions,
  removeStage,
  requireLive,
  requireSecret,
  sameValue,
  secretArn,
  unfinishedPendingVersion,
  versionIdsToStages,
  versionWithStage,
  type SecretRecord,
  type SecretVersion,
  type Tag,
} from './model.ts';
import { randomPassword } from './random-password.ts';
import type { RotationEngine } from './rotation-engine.ts';

const MAX_VALUE_BYTES = 65_536;
const MAX_TAGS = 50;

const secretId = z.string().min(1).max(2048);
const token = z.string().min(32, 'Member must have length greater than or equal to 32').max(64, 'Member must have length less than or equal to 64');
const secretString = z.string().refine((s) => Buffer.byteLength(s) <= MAX_VALUE_BYTES, 'Member must have length less than or equal to 65536');
const secretBinary = z
  .string()
  .refine((s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s), 'Member must be base64-encoded')
  .refine((s) => Buffer.from(s, 'base64').length <= MAX_VALUE_BYTES, 'Member must have length less than or equal to 65536');
const tag = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
const stageName = z.string().min(1).max(256);
const rotationRules = z.object({
  AutomaticallyAfterDays: z.number().int().min(1).max(1000).optional(),
  ScheduleExpression: z.string().min(1).max(256).optional(),
  Duration: z.string().regex(/^[0-9]+h$/, 'Member must satisfy regular expression pattern: [0-9h]+').optional(),
});

const inputs = {
  CreateSecret: z.object({
    Name: z.string().min(1).max(512),
    ClientRequestToken: token.optional(),
    Description: z.string().max(2048).optional(),
    KmsKeyId: z.string().max(2048).optional(),
    SecretString: secretString.optional(),
    SecretBinary: secretBinary.optional(),
    Tags: z.array(tag).optional(),
    AddReplicaRegions: z.array(z.unknown()).optional(),
    ForceOverwriteReplicaSecret: z.boolean().optional(),
  }),
  DescribeSecret: z.object({ SecretId: secretId }),
  GetSecretValue: z.object({ SecretId: secretId, VersionId: token.optional(), VersionStage: stageName.optional() }),
  PutSecretValue: z.object({
    SecretId: secretId,
    ClientRequestToken: token.optional(),
    SecretString: secretString.optional(),
    SecretBinary: secretBinary.optional(),
    VersionStages: z.array(stageName).min(1).max(20).optional(),
    RotationToken: z.string().optional(),
  }),
  UpdateSecret: z.object({
    SecretId: secretId,
    ClientRequestToken: token.optional(),
    Description: z.string().max(2048).optional(),
    KmsKeyId: z.string().max(2048).optional(),
    SecretString: secretString.optional(),
    SecretBinary: secretBinary.optional(),
  }),
  UpdateSecretVersionStage: z.object({
    SecretId: secretId,
    VersionStage: stageName,
    RemoveFromVersionId: token.optional(),
    MoveToVersionId: token.optional(),
  }),
  ListSecrets: z.object({
    IncludePlannedDeletion: z.boolean().optional(),
    MaxResults: z.number().int().min(1, 'Member must have value greater than or equal to 1').max(100, 'Member must have value less than or equal to 100').optional(),
    NextToken: z.string().optional(),
    Filters: z
      .array(
        z.object({
          Key: z.enum(['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all']),
          Values: z
            .array(z.string().max(512).regex(/^!?[a-zA-Z0-9 :_@/+=.\-!]*$/, 'Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$'))
            .min(1)
            .max(10, 'Member must have length less than or equal to 10'),
        }),
      )
      .max(10)
      .optional(),
    SortOrder: z.enum(['asc', 'desc']).optional(),
    SortBy: z.enum(['created-date', 'last-accessed-date', 'last-changed-date', 'name']).optional(),
  }),
  ListSecretVersionIds: z.object({
    SecretId: secretId,
    MaxResults: z.number().int().min(1).max(100).optional(),
    NextToken: z.string().optional(),
    IncludeDeprecated: z.boolean().optional(),
  }),
  GetRandomPassword: z.object({
    PasswordLength: z.number().int().min(1, 'Member must have value greater than or equal to 1').max(4096, 'Member must have value less than or equal to 4096').optional(),
    ExcludeCharacters: z.string().max(4096).optional(),
    ExcludeNumbers: z.boolean().optional(),
    ExcludePunctuation: z.boolean().optional(),
    ExcludeUppercase: z.boolean().optional(),
    ExcludeLowercase: z.boolean().optional(),
    IncludeSpace: z.boolean().optional(),
    RequireEachIncludedType: z.boolean().optional(),
  }),
  TagResource: z.object({ SecretId: secretId, Tags: z.array(tag) }),
  UntagResource: z.object({ SecretId: secretId, TagKeys: z.array(z.string().min(1).max(128)) }),
  GetResourcePolicy: z.object({ SecretId: secretId }),
  PutResourcePolicy: z.object({ SecretId: secretId, ResourcePolicy: z.string().min(1).max(20_480), BlockPublicPolicy: z.boolean().optional() }),
  DeleteResourcePolicy: z.object({ SecretId: secretId }),
  DeleteSecret: z.object({
    SecretId: secretId,
    RecoveryWindowInDays: z.number().int().optional(),
    ForceDeleteWithoutRecovery: z.boolean().optional(),
  }),
  RestoreSecret: z.object({ SecretId: secretId }),
  RotateSecret: z.object({
    SecretId: secretId,
    ClientRequestToken: token.optional(),
    RotationLambdaARN: z.string().max(2048).optional(),
    RotationRules: rotationRules.optional(),
    RotateImmediately: z.boolean().optional(),
  }),
  CancelRotateSecret: z.object({ SecretId: secretId }),
};

type Value = { secretString?: string; secretBinary?: string };

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

function scheduleError(err: unknown): never {
  if (err instanceof ScheduleError) throw invalidParameter(err.message);
  throw err;
}

export function checkPolicyDocument(text: string): { Statement: Array<Record<string, unknown>> } {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw new AwsError('MalformedPolicyDocumentException', 'This resource policy contains a syntax error: it is not valid JSON.');
  }
  const statements = (policy as { Statement?: unknown })?.Statement;
  const list = Array.isArray(statements) ? statements : statements && typeof statements === 'object' ? [statements] : undefined;
  if (!list || list.length === 0 || list.some((s) => !s || typeof s !== 'object' || !('Effect' in s))) {
    throw new AwsError('MalformedPolicyDocumentException', 'This resource policy needs a Statement with Effect, Principal, Action and Resource.');
  }
  return { Statement: list as Array<Record<string, unknown>> };
}

function grantsPublicAccess(statement: Record<string, unknown>): boolean {
  const principal = statement.Principal;
  const everyone = principal === '*' || (typeof principal === 'object' && principal !== null && (principal as { AWS?: unknown }).AWS === '*');
  return statement.Effect === 'Allow' && everyone && statement.Condition === undefined;
}

export class SecretsManagerService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly rotation: RotationEngine,
  ) {}

  private get secrets(): SecretRecord[] {
    return this.ctx.state.secrets;
  }

  private live(id: string): SecretRecord {
    return requireLive(requireSecret(this.secrets, id));
  }

  /**
   * Stores a value under `token` with `stages` (PutSecretValue's rules): a token already used for
   * the same value succeeds again without change, for another value it fails; the placeholder
   * version a rotation created gets its value. The first version of a secret is always current.
   */
  private storeVersion(secret: SecretRecord, versionId: string, value: Value, stages: string[]): SecretVersion {
    const now = this.ctx.clock.now();
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
    this.rotation.reconcile(secret);
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
    this.rotation.emit('RotationAbandoned', secret.arn, token).catch((err: unknown) => console.error(`[local-cloud] RotationAbandoned event not stored: ${(err as Error).message}`));
  }

  private requireToken(tokenValue: string | undefined): string {
    if (tokenValue === undefined) throw invalidRequest('You must provide a ClientRequestToken value. We recommend a UUID-type value.');
    return tokenValue;
  }

  private describe(secret: SecretRecord, versionsKey: 'VersionIdsToStages' | 'SecretVersionsToStages') {
    const rotation = secret.rotation;
    const configured = rotation.lambdaArn !== undefined;
    let rules: Record<string, unknown> | undefined;
    let nextRotation: number | undefined;
    if (rotation.rules) {
      const schedule = parseRotationRules(rotation.rules);
      rules = compact({ ...rotation.rules, AutomaticallyAfterDays: rotation.rules.AutomaticallyAfterDays ?? derivedAutomaticallyAfterDays(schedule.cadence) });
      // "The latest date that rotation will occur": the last second of the next window.
      const window = rotation.enabled ? this.rotation.window(secret) : undefined;
      if (window) nextRotation = window.end - 1000;
    }
    return compact({
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      KmsKeyId: secret.kmsKeyId,
      RotationEnabled: configured ? rotation.enabled : undefined,
      RotationLambdaARN: rotation.lambdaArn,
      RotationRules: rules,
      // The service reports no LastRotatedDate while rotation is off.
      LastRotatedDate: rotation.enabled ? epochSeconds(secret.lastRotated) : undefined,
      LastChangedDate: epochSeconds(secret.lastChanged),
      LastAccessedDate: epochSeconds(secret.lastAccessed),
      DeletedDate: epochSeconds(secret.deletedDate),
      NextRotationDate: epochSeconds(nextRotation),
      Tags: secret.tags.length ? secret.tags.map((t) => ({ ...t })) : undefined,
      [versionsKey]: versionIdsToStages(secret),
      CreatedDate: epochSeconds(secret.created),
    });
  }

  operations() {
    const ctx = this.ctx;
    return {
      CreateSecret: (raw: unknown) => {
        const input = parseInput(inputs.CreateSecret, raw);
        if (!/^[A-Za-z0-9/_+=.@-]+$/.test(input.Name)) {
          throw new AwsError('ValidationException', 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
        }
        if (input.AddReplicaRegions?.length) throw invalidRequest('Replication to other regions is not available in the local cloud.');
        const existing = this.secrets.find((s) => s.name === input.Name);
        if (existing?.deletedDate !== undefined) {
          throw invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
        }
        if (existing) throw resourceExists(`The operation failed because the secret ${input.Name} already exists.`);
        const tags = input.Tags ?? [];
        checkTags(tags);
        if (tags.length > MAX_TAGS) throw invalidParameter(`A secret can have at most ${MAX_TAGS} tags.`);
        const value = valueOf(input);
        const now = ctx.clock.now();
        const secret: SecretRecord = {
          arn: secretArn(ctx.region, ctx.account, input.Name),
          name: input.Name,
          description: input.Description,
          kmsKeyId: input.KmsKeyId,
          created: now,
          lastChanged: now,
          tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
          versions: [],
          rotation: { enabled: false },
        };
        let version: SecretVersion | undefined;
        if (value) version = this.storeVersion(secret, this.requireToken(input.ClientRequestToken), value, [AWSCURRENT]);
        this.secrets.push(secret);
        return compact({ ARN: secret.arn, Name: secret.name, VersionId: version?.id });
      },

      DescribeSecret: (raw: unknown) => {
        const input = parseInput(inputs.DescribeSecret, raw);
        return this.describe(requireSecret(this.secrets, input.SecretId), 'VersionIdsToStages');
      },

      GetSecretValue: (raw: unknown) => {
        const input = parseInput(inputs.GetSecretValue, raw);
        const secret = this.live(input.SecretId);
        const stage = input.VersionStage ?? (input.VersionId ? undefined : AWSCURRENT);
        const version = input.VersionId ? findVersion(secret, input.VersionId) : versionWithStage(secret, stage!);
        const what = [input.VersionId && `VersionId: ${input.VersionId}`, stage && `staging label: ${stage}`].filter(Boolean).join(', ');
        if (!version || !hasValue(version) || (stage !== undefined && !version.stages.includes(stage))) {
          throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${what}`);
        }
        const today = accessDay(ctx.clock.now());
        secret.lastAccessed = today;
        version.lastAccessed = today;
        return compact({
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.id,
          SecretString: version.secretString,
          SecretBinary: version.secretBinary,
          VersionStages: [...version.stages],
          CreatedDate: epochSeconds(version.created),
        });
      },

      PutSecretValue: (raw: unknown) => {
        const input = parseInput(inputs.PutSecretValue, raw);
        const secret = this.live(input.SecretId);
        const value = valueOf(input);
        if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
        const version = this.storeVersion(secret, this.requireToken(input.ClientRequestToken), value, input.VersionStages ?? [AWSCURRENT]);
        return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
      },

      UpdateSecret: (raw: unknown) => {
        const input = parseInput(inputs.UpdateSecret, raw);
        const secret = this.live(input.SecretId);
        const value = valueOf(input);
        if (input.Description !== undefined) secret.description = input.Description;
        if (input.KmsKeyId !== undefined) secret.kmsKeyId = input.KmsKeyId;
        secret.lastChanged = ctx.clock.now();
        const version = value ? this.storeVersion(secret, this.requireToken(input.ClientRequestToken), value, [AWSCURRENT]) : undefined;
        return compact({ ARN: secret.arn, Name: secret.name, VersionId: version?.id });
      },

      UpdateSecretVersionStage: (raw: unknown) => {
        const input = parseInput(inputs.UpdateSecretVersionStage, raw);
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
        secret.lastChanged = ctx.clock.now();
        pruneDeprecatedVersions(secret, ctx.clock.now());
        this.rotation.reconcile(secret);
        return { ARN: secret.arn, Name: secret.name };
      },

      ListSecrets: (raw: unknown) => {
        const input = parseInput(inputs.ListSecrets, raw);
        const sortKey: Record<string, (s: SecretRecord) => number | string> = {
          'created-date': (s) => s.created,
          'last-accessed-date': (s) => s.lastAccessed ?? 0,
          'last-changed-date': (s) => s.lastChanged,
          name: (s) => s.name,
        };
        const key = sortKey[input.SortBy ?? 'created-date']!;
        const direction = input.SortOrder === 'desc' ? -1 : 1;
        const matching = this.secrets
          .filter((s) => (input.IncludePlannedDeletion || s.deletedDate === undefined) && matchesFilters(s, input.Filters ?? [], ctx.region))
          .sort((a, b) => (key(a) < key(b) ? -direction : key(a) > key(b) ? direction : 0));
        const start = decodeNextToken(input.NextToken);
        const limit = input.MaxResults ?? 100;
        return compact({
          SecretList: matching.slice(start, start + limit).map((s) => this.describe(s, 'SecretVersionsToStages')),
          NextToken: start + limit < matching.length ? encodeNextToken(start + limit) : undefined,
        });
      },

      ListSecretVersionIds: (raw: unknown) => {
        const input = parseInput(inputs.ListSecretVersionIds, raw);
        const secret = requireSecret(this.secrets, input.SecretId);
        const versions = secret.versions.filter((v) => input.IncludeDeprecated || !isDeprecated(v)).reverse();
        const start = decodeNextToken(input.NextToken);
        const limit = input.MaxResults ?? 100;
        return compact({
          Versions: versions.slice(start, start + limit).map((v) =>
            compact({
              VersionId: v.id,
              VersionStages: [...v.stages],
              LastAccessedDate: epochSeconds(v.lastAccessed),
              CreatedDate: epochSeconds(v.created),
              KmsKeyIds: ['DefaultEncryptionKey'],
            }),
          ),
          NextToken: start + limit < versions.length ? encodeNextToken(start + limit) : undefined,
          ARN: secret.arn,
          Name: secret.name,
        });
      },

      GetRandomPassword: (raw: unknown) => ({ RandomPassword: randomPassword(parseInput(inputs.GetRandomPassword, raw)) }),

      TagResource: (raw: unknown) => {
        const input = parseInput(inputs.TagResource, raw);
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
        secret.lastChanged = ctx.clock.now();
        return {};
      },

      UntagResource: (raw: unknown) => {
        const input = parseInput(inputs.UntagResource, raw);
        const secret = this.live(input.SecretId);
        secret.tags = secret.tags.filter((t) => !input.TagKeys.includes(t.Key));
        secret.lastChanged = ctx.clock.now();
        return {};
      },

      GetResourcePolicy: (raw: unknown) => {
        const secret = this.live(parseInput(inputs.GetResourcePolicy, raw).SecretId);
        return compact({ ARN: secret.arn, Name: secret.name, ResourcePolicy: secret.policy });
      },

      PutResourcePolicy: (raw: unknown) => {
        const input = parseInput(inputs.PutResourcePolicy, raw);
        const secret = this.live(input.SecretId);
        const policy = checkPolicyDocument(input.ResourcePolicy);
        if ((input.BlockPublicPolicy ?? false) && policy.Statement.some(grantsPublicAccess)) {
          throw new AwsError('PublicPolicyException', 'This resource policy grants public access: remove the "*" principal or add a condition, or set BlockPublicPolicy to false.');
        }
        secret.policy = input.ResourcePolicy;
        secret.lastChanged = ctx.clock.now();
        return { ARN: secret.arn, Name: secret.name };
      },

      DeleteResourcePolicy: (raw: unknown) => {
        const secret = this.live(parseInput(inputs.DeleteResourcePolicy, raw).SecretId);
        secret.policy = undefined;
        secret.lastChanged = ctx.clock.now();
        return { ARN: secret.arn, Name: secret.name };
      },

      DeleteSecret: (raw: unknown) => {
        const input = parseInput(inputs.DeleteSecret, raw);
        if (input.RecoveryWindowInDays !== undefined && (input.RecoveryWindowInDays < 7 || input.RecoveryWindowInDays > 30)) {
          throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
        }
        if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
          throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
        }
        const now = ctx.clock.now();
        const secret = findSecret(this.secrets, input.SecretId);
        if (input.ForceDeleteWithoutRecovery) {
          // The service answers a forced delete of a missing secret without an error.
          if (!secret) return { ARN: input.SecretId.startsWith('arn:') ? input.SecretId : undefined, Name: input.SecretId, DeletionDate: epochSeconds(now) };
          this.ctx.state.secrets = this.secrets.filter((s) => s !== secret);
          return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(now) };
        }
        if (!secret) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        if (secret.deletedDate !== undefined) {
          throw invalidRequest("You tried to perform the operation on a secret that's currently marked deleted.");
        }
        secret.deletedDate = now;
        secret.deletionDate = now + (input.RecoveryWindowInDays ?? 30) * 86_400_000;
        return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(secret.deletionDate) };
      },

      RestoreSecret: (raw: unknown) => {
        const secret = requireSecret(this.secrets, parseInput(inputs.RestoreSecret, raw).SecretId);
        secret.deletedDate = undefined;
        secret.deletionDate = undefined;
        secret.lastChanged = ctx.clock.now();
        return { ARN: secret.arn, Name: secret.name };
      },

      RotateSecret: async (raw: unknown) => {
        const input = parseInput(inputs.RotateSecret, raw);
        const secret = this.live(input.SecretId);
        const rules = input.RotationRules ?? secret.rotation.rules;
        if (input.RotationRules) {
          if (input.RotationRules.AutomaticallyAfterDays !== undefined && input.RotationRules.ScheduleExpression !== undefined) {
            throw invalidParameter('You cannot specify both rotation frequency and schedule expression together.');
          }
          try {
            parseRotationRules(input.RotationRules, { now: ctx.clock.now() });
          } catch (err) {
            scheduleError(err);
          }
        }
        const lambdaArn = input.RotationLambdaARN ?? secret.rotation.lambdaArn;
        if (!lambdaArn) throw invalidRequest('No Lambda rotation function ARN is associated with this secret.');
        // A rotation still finishing (AWSCURRENT moved, AWSPENDING not yet cleared) counts as unfinished too.
        if (unfinishedPendingVersion(secret) || this.rotation.isBusy(secret.arn)) {
          throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
        }
        const versionId = input.RotateImmediately === false ? undefined : (input.ClientRequestToken ?? randomUUID());
        if (versionId && findVersion(secret, versionId)) {
          throw resourceExists(`You can't use ClientRequestToken ${versionId} because that value is already in use for a version of secret ${secret.arn}.`);
        }
        if (!this.rotation.canInvoke(lambdaArn, secret)) {
          throw new AwsError(
            'AccessDeniedException',
            'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
          );
        }
        const now = ctx.clock.now();
        secret.rotation = { enabled: true, lambdaArn, rules, configuredAt: now, lastFailure: secret.rotation.lastFailure };
        secret.lastChanged = now;
        if (input.RotateImmediately === false) {
          await this.rotation.testConfiguration(secret, lambdaArn);
          return { ARN: secret.arn, Name: secret.name };
        }
        const attempt = this.rotation.begin(secret, versionId!);
        // Rotation runs after the call returns, as the service's does.
        setImmediate(() => void this.rotation.kick(secret.arn));
        return { ARN: secret.arn, Name: secret.name, VersionId: attempt.token };
      },

      CancelRotateSecret: (raw: unknown) => {
        const secret = this.live(parseInput(inputs.CancelRotateSecret, raw).SecretId);
        const token = secret.rotation.inProgress?.token;
        // Labels stay where they are: the user removes a leftover AWSPENDING, as with the service.
        secret.rotation = { ...secret.rotation, enabled: false, inProgress: undefined };
        secret.lastChanged = ctx.clock.now();
        return compact({ ARN: secret.arn, Name: secret.name, VersionId: token });
      },
    };
  }
}

export const READ_ONLY_OPERATIONS = new Set(['DescribeSecret', 'ListSecrets', 'ListSecretVersionIds', 'GetRandomPassword', 'GetResourcePolicy']);
