import { z } from 'zod';

/** Secrets Manager's input shapes, with the constraints its API reference gives each member. */

export const MAX_VALUE_BYTES = 65_536;
export const MAX_TAGS = 50;

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

export const shapes = {
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
    RotationToken: z.string().min(1).max(256).optional(),
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

export type Inputs = { [K in keyof typeof shapes]: z.infer<(typeof shapes)[K]> };
