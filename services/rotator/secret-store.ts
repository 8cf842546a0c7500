import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { PasswordPolicy } from './types.ts';
import { RotationError } from '../../shared/errors/rotation-error.ts';
import { TAGS } from '../../shared/names.ts';

/**
 * The rotator's view of Secrets Manager. A version's value never changes once stored, so values
 * read by version id are kept (bounded, briefly) for the later steps of the same rotation: a
 * warm rotator needs 8 calls per rotation instead of 11.
 */
export class SecretStore {
  private readonly values = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: { maxEntries: number; ttlMs: number } = { maxEntries: 512, ttlMs: 10 * 60_000 },
  ) {}

  describe(secretId: string): Promise<DescribeSecretCommandOutput> {
    return this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
  }

  private remember(arn: string, versionId: string, value: string): void {
    if (this.values.size >= this.options.maxEntries) {
      const oldest = this.values.keys().next().value;
      if (oldest !== undefined) this.values.delete(oldest);
    }
    this.values.set(`${arn}|${versionId}`, { value, expires: Date.now() + this.options.ttlMs });
  }

  /** The value of one version (undefined when the version has no value yet). */
  async version(arn: string, versionId: string): Promise<string | undefined> {
    const key = `${arn}|${versionId}`;
    const cached = this.values.get(key);
    if (cached && cached.expires > Date.now()) return cached.value;
    this.values.delete(key);
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }));
      if (out.SecretString === undefined) return undefined;
      this.remember(arn, versionId, out.SecretString);
      return out.SecretString;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  }

  /** The current value of another secret (the admin credential behind `masterarn`). */
  async current(secretId: string): Promise<string | undefined> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
    } catch (err) {
      if ((err as Error).name === 'AccessDeniedException') {
        throw new RotationError('PermissionDenied', `the rotator may not read the admin secret named by masterarn: its owner tags it ${TAGS.adminCredential}=true`);
      }
      if ((err as Error).name === 'ResourceNotFoundException') throw new RotationError('InvalidSecret', 'the admin secret named by masterarn does not exist');
      throw err;
    }
    if (out.SecretString !== undefined && out.ARN && out.VersionId) this.remember(out.ARN, out.VersionId, out.SecretString);
    return out.SecretString;
  }

  async randomPassword(policy: PasswordPolicy): Promise<string> {
    const out = await this.client.send(new GetRandomPasswordCommand({ PasswordLength: policy.length, ExcludeCharacters: policy.excludeCharacters }));
    return out.RandomPassword!;
  }

  /** Stores the pending value under the rotation's token; false when a value is already there. */
  async putPending(arn: string, token: string, value: string): Promise<boolean> {
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: value, VersionStages: ['AWSPENDING'] }));
      this.remember(arn, token, value);
      return true;
    } catch (err) {
      if (err instanceof ResourceExistsException) return false;
      throw err;
    }
  }

  async makeCurrent(arn: string, token: string, currentVersionId: string | undefined): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: currentVersionId }),
    );
  }
}
