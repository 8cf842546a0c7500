import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  type GetRandomPasswordCommandInput,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  MalformedPolicyDocumentException,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { awsClients, uniqueName } from '../support/aws-clients.ts';

const url = inject('cloudUrl');
const { sm } = awsClients(url);

async function create(value = '{"user":"app","password":"one"}', extra: Partial<ConstructorParameters<typeof CreateSecretCommand>[0]> = {}) {
  const name = uniqueName('sm');
  const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: value, ...extra }));
  return { name, arn: out.ARN!, versionId: out.VersionId! };
}

async function stages(secretId: string) {
  return (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages!;
}

describe('CreateSecret and DescribeSecret', () => {
  it('creates a secret with an AWS-shaped ARN, a current version, tags and dates', async () => {
    const before = Date.now() / 1000 - 5;
    const { name, arn, versionId } = await create('{"a":1}', { Description: 'orders db', Tags: [{ Key: 'team', Value: 'payments' }] });
    expect(arn).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-[A-Za-z0-9]{6}$`));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described).toMatchObject({ ARN: arn, Name: name, Description: 'orders db', Tags: [{ Key: 'team', Value: 'payments' }] });
    expect(described.VersionIdsToStages).toEqual({ [versionId]: ['AWSCURRENT'] });
    expect(described.CreatedDate!.getTime() / 1000).toBeGreaterThan(before);
    expect(described.LastChangedDate).toBeInstanceOf(Date);
    expect(described.RotationEnabled).toBeUndefined();
    expect(described.NextRotationDate).toBeUndefined();
  });

  it('finds a secret by name, full ARN and partial ARN', async () => {
    const { name, arn } = await create();
    for (const id of [name, arn, arn.slice(0, -7)]) {
      expect((await sm.send(new DescribeSecretCommand({ SecretId: id }))).ARN).toBe(arn);
    }
  });

  it('refuses a duplicate name, an invalid name, both value kinds, and reserved tag keys', async () => {
    const { name } = await create();
    await expect(sm.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }))).rejects.toThrow(ResourceExistsException);
    await expect(sm.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      sm.send(new CreateSecretCommand({ Name: uniqueName('both'), SecretString: 'x', SecretBinary: new Uint8Array([1]) })),
    ).rejects.toThrow(InvalidParameterException);
    await expect(sm.send(new CreateSecretCommand({ Name: uniqueName('tag'), SecretString: 'x', Tags: [{ Key: 'aws:owner', Value: 'me' }] }))).rejects.toThrow(
      InvalidParameterException,
    );
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expect(sm.send(new DescribeSecretCommand({ SecretId: 'no-such-secret' }))).rejects.toThrow(ResourceNotFoundException);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'no-such-secret' }))).rejects.toThrow("Secrets Manager can't find the specified secret.");
  });

  it('creates a secret without a value, which then has no versions', async () => {
    const name = uniqueName('empty');
    const out = await sm.send(new CreateSecretCommand({ Name: name }));
    expect(out.VersionId).toBeUndefined();
    expect(await stages(name)).toEqual({});
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toThrow(ResourceNotFoundException);
  });
});

describe('GetSecretValue', () => {
  it('reads by stage, by version id, by both, and round-trips binary values', async () => {
    const { name, versionId } = await create('first');
    const second = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'second' }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('second');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('first');
    const byId = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: versionId }));
    expect(byId).toMatchObject({ SecretString: 'first', VersionStages: ['AWSPREVIOUS'], VersionId: versionId });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: versionId, VersionStage: 'AWSCURRENT' }))).rejects.toThrow(
      ResourceNotFoundException,
    );
    expect((await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: second.VersionId, VersionStage: 'AWSCURRENT' }))).SecretString).toBe('second');

    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const binary = uniqueName('bin');
    await sm.send(new CreateSecretCommand({ Name: binary, SecretBinary: bytes }));
    const read = await sm.send(new GetSecretValueCommand({ SecretId: binary }));
    expect(Array.from(read.SecretBinary!)).toEqual(Array.from(bytes));
    expect(read.SecretString).toBeUndefined();
  });

  it('records LastAccessedDate to the day', async () => {
    const { name } = await create();
    await sm.send(new GetSecretValueCommand({ SecretId: name }));
    const accessed = (await sm.send(new DescribeSecretCommand({ SecretId: name }))).LastAccessedDate!;
    expect(accessed.getTime() % 86_400_000).toBe(0);
  });
});

describe('PutSecretValue and staging labels', () => {
  it('moves AWSCURRENT and hands AWSPREVIOUS to the version that lost it', async () => {
    const { name, versionId: v1 } = await create('v1');
    const { VersionId: v2 } = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }));
    const { VersionId: v3 } = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v3' }));
    // v1 lost its last label: deprecated, so DescribeSecret no longer lists it.
    expect(await stages(name)).toEqual({ [v2!]: ['AWSPREVIOUS'], [v3!]: ['AWSCURRENT'] });
    const all = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
    expect(all.Versions!.map((v) => v.VersionId).sort()).toEqual([v1, v2, v3].sort());
    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    expect(listed.Versions!.map((v) => v.VersionId).sort()).toEqual([v2, v3].sort());
  });

  it('is idempotent on ClientRequestToken: same value succeeds again, another value fails', async () => {
    const { name } = await create('v1');
    const token = randomUUID();
    const first = await sm.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, SecretString: 'v2' }));
    const again = await sm.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, SecretString: 'v2' }));
    expect(again.VersionId).toBe(first.VersionId);
    expect(Object.keys(await stages(name))).toHaveLength(2);
    await expect(sm.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, SecretString: 'other' }))).rejects.toThrow(
      ResourceExistsException,
    );
    expect((await sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v2');
  });

  it('puts a custom stage without touching AWSCURRENT, and takes a label from the version that had it', async () => {
    const { name, versionId: v1 } = await create('v1');
    const { VersionId: v2, VersionStages } = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', VersionStages: ['AWSPENDING'] }));
    expect(VersionStages).toEqual(['AWSPENDING']);
    expect(await stages(name)).toEqual({ [v1]: ['AWSCURRENT'], [v2!]: ['AWSPENDING'] });
    const { VersionId: v3 } = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v3', VersionStages: ['AWSPENDING', 'blue'] }));
    expect(await stages(name)).toEqual({ [v1]: ['AWSCURRENT'], [v3!]: ['AWSPENDING', 'blue'] });
  });

  it('refuses a token that is too short and a put without a value', async () => {
    const { name } = await create();
    await expect(sm.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: 'short', SecretString: 'x' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(sm.send(new PutSecretValueCommand({ SecretId: name }))).rejects.toThrow(InvalidParameterException);
  });
});

describe('UpdateSecretVersionStage', () => {
  it('moves AWSCURRENT only when RemoveFromVersionId names its holder, and moves AWSPREVIOUS with it', async () => {
    const { name, versionId: v1 } = await create('v1');
    const { VersionId: v2 } = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', VersionStages: ['AWSPENDING'] }));
    await expect(sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2 }))).rejects.toThrow(
      /RemoveFromVersionId can't be empty/,
    );
    await expect(
      sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2, RemoveFromVersionId: v2 })),
    ).rejects.toThrow(InvalidParameterException);
    expect(await stages(name)).toEqual({ [v1]: ['AWSCURRENT'], [v2!]: ['AWSPENDING'] });

    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2, RemoveFromVersionId: v1 }));
    expect(await stages(name)).toEqual({ [v1]: ['AWSPREVIOUS'], [v2!]: ['AWSPENDING', 'AWSCURRENT'] });
  });

  it('adds a free label, removes a label, refuses removing AWSCURRENT and unknown versions', async () => {
    const { name, versionId: v1 } = await create('v1');
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'green', MoveToVersionId: v1 }));
    expect(await stages(name)).toEqual({ [v1]: ['AWSCURRENT', 'green'] });
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'green', RemoveFromVersionId: v1 }));
    expect(await stages(name)).toEqual({ [v1]: ['AWSCURRENT'] });
    await expect(sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', RemoveFromVersionId: v1 }))).rejects.toThrow(
      InvalidParameterException,
    );
    await expect(
      sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'green', MoveToVersionId: randomUUID() })),
    ).rejects.toThrow(InvalidParameterException);
  });
});

describe('UpdateSecret, tags and resource policies', () => {
  it('updates the description and stores a new current value', async () => {
    const { name } = await create('v1');
    const out = await sm.send(new UpdateSecretCommand({ SecretId: name, Description: 'new', SecretString: 'v2' }));
    expect(out.VersionId).toBeDefined();
    const described = await sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.Description).toBe('new');
    expect(described.VersionIdsToStages![out.VersionId!]).toEqual(['AWSCURRENT']);
  });

  it('tags and untags, replacing a value for an existing key', async () => {
    const { name } = await create('v', { Tags: [{ Key: 'a', Value: '1' }] });
    await sm.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }] }));
    expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).Tags).toEqual([
      { Key: 'a', Value: '2' },
      { Key: 'b', Value: '3' },
    ]);
    await sm.send(new UntagResourceCommand({ SecretId: name, TagKeys: ['a'] }));
    expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).Tags).toEqual([{ Key: 'b', Value: '3' }]);
  });

  it('puts, gets and deletes a resource policy; refuses malformed and, when asked, public ones', async () => {
    const { name } = await create();
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:role/app' }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
    });
    await sm.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: policy }));
    expect((await sm.send(new GetResourcePolicyCommand({ SecretId: name }))).ResourcePolicy).toBe(policy);
    await expect(sm.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: '{not json' }))).rejects.toThrow(MalformedPolicyDocumentException);
    const publicPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] });
    await expect(sm.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: publicPolicy, BlockPublicPolicy: true }))).rejects.toMatchObject({
      name: 'PublicPolicyException',
    });
    await sm.send(new DeleteResourcePolicyCommand({ SecretId: name }));
    expect((await sm.send(new GetResourcePolicyCommand({ SecretId: name }))).ResourcePolicy).toBeUndefined();
  });
});

describe('ListSecrets', () => {
  it('filters by name, tag key, tag value, description and all; negates with "!"', async () => {
    const prefix = uniqueName('lst');
    await sm.send(new CreateSecretCommand({ Name: `${prefix}/orders`, Description: 'Orders Database', Tags: [{ Key: 'team', Value: 'payments' }] }));
    await sm.send(new CreateSecretCommand({ Name: `${prefix}/users`, Description: 'user cache', Tags: [{ Key: 'owner', Value: 'identity' }] }));
    const names = async (filters: Array<{ Key: 'name' | 'tag-key' | 'tag-value' | 'description' | 'all'; Values: string[] }>) =>
      ((await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }, ...filters] }))).SecretList ?? []).map((s) => s.Name).sort();

    expect(await names([])).toEqual([`${prefix}/orders`, `${prefix}/users`]);
    expect(await names([{ Key: 'name', Values: [`${prefix}/ord`] }])).toEqual([`${prefix}/orders`]);
    expect(await names([{ Key: 'tag-key', Values: ['team'] }])).toEqual([`${prefix}/orders`]);
    expect(await names([{ Key: 'tag-value', Values: ['ident'] }])).toEqual([`${prefix}/users`]);
    expect(await names([{ Key: 'description', Values: ['orders'] }])).toEqual([`${prefix}/orders`]);
    expect(await names([{ Key: 'all', Values: ['payments'] }])).toEqual([`${prefix}/orders`]);
    expect(await names([{ Key: 'tag-key', Values: ['!team'] }])).toEqual([`${prefix}/users`]);
    // name and tag filters are case-sensitive, description is not
    expect(await names([{ Key: 'tag-value', Values: ['Payments'] }])).toEqual([]);
  });

  it('pages with MaxResults and NextToken and rejects MaxResults over 100', async () => {
    const prefix = uniqueName('page');
    for (let i = 0; i < 5; i++) await sm.send(new CreateSecretCommand({ Name: `${prefix}-${i}`, SecretString: 'x' }));
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], MaxResults: 2, NextToken }));
      expect(page.SecretList!.length).toBeLessThanOrEqual(2);
      seen.push(...page.SecretList!.map((s) => s.Name!));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
    await expect(sm.send(new ListSecretsCommand({ MaxResults: 101 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(sm.send(new ListSecretsCommand({ NextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidNextTokenException' });
  });
});

describe('DeleteSecret and RestoreSecret', () => {
  it('schedules deletion with a recovery window, blocks use until restored', async () => {
    const { name } = await create('kept');
    const deleted = await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    const days = (deleted.DeletionDate!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toThrow(InvalidRequestException);
    await expect(sm.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }))).rejects.toThrow(/already scheduled for deletion/);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).DeletedDate).toBeInstanceOf(Date);
    const listed = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] }));
    expect(listed.SecretList).toEqual([]);
    const planned = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }], IncludePlannedDeletion: true }));
    expect(planned.SecretList!.map((s) => s.Name)).toEqual([name]);

    await sm.send(new RestoreSecretCommand({ SecretId: name }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('kept');
  });

  it('validates the recovery window and deletes at once when forced', async () => {
    const { name } = await create();
    await expect(sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 6 }))).rejects.toThrow(InvalidParameterException);
    await expect(sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true }))).rejects.toThrow(
      InvalidParameterException,
    );
    await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    await expect(sm.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toThrow(ResourceNotFoundException);
    // the name is free again at once
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'again' }));
  });
});

describe('GetRandomPassword', () => {
  it('returns 32 characters with every class by default', async () => {
    const { RandomPassword } = await sm.send(new GetRandomPasswordCommand({}));
    expect(RandomPassword).toHaveLength(32);
    expect(RandomPassword).toMatch(/[a-z]/);
    expect(RandomPassword).toMatch(/[A-Z]/);
    expect(RandomPassword).toMatch(/[0-9]/);
    expect(RandomPassword).toMatch(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/);
    expect(RandomPassword).not.toMatch(/ /);
  });

  it('honours every parameter', async () => {
    const pw = async (input: GetRandomPasswordCommandInput) => (await sm.send(new GetRandomPasswordCommand(input))).RandomPassword!;
    expect(await pw({ PasswordLength: 4096 })).toHaveLength(4096);
    expect(await pw({ PasswordLength: 1, RequireEachIncludedType: false })).toHaveLength(1);
    expect(await pw({ PasswordLength: 200, ExcludePunctuation: true, ExcludeNumbers: true })).toMatch(/^[A-Za-z]{200}$/);
    expect(await pw({ PasswordLength: 200, ExcludeUppercase: true, ExcludeLowercase: true, ExcludePunctuation: true })).toMatch(/^[0-9]{200}$/);
    expect(await pw({ PasswordLength: 300, ExcludeCharacters: 'abc123!@#' })).not.toMatch(/[abc123!@#]/);
    expect(await pw({ PasswordLength: 400, IncludeSpace: true, ExcludePunctuation: true })).toMatch(/ /);
  });

  it('rejects impossible requests with the reason', async () => {
    const fail = (input: GetRandomPasswordCommandInput) => sm.send(new GetRandomPasswordCommand(input));
    await expect(fail({ PasswordLength: 0 })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(fail({ PasswordLength: 4097 })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(fail({ PasswordLength: 3 })).rejects.toThrow('Password length is too short based on the required types');
    await expect(fail({ ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true })).rejects.toThrow(
      InvalidParameterException,
    );
    await expect(fail({ ExcludeCharacters: '0123456789' })).rejects.toThrow('All characters of the desired type have been excluded');
  });
});
