import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { WritePacer } from './write-pacer.ts';

/**
 * Just under the quota of 50: the service counts whole seconds, and calls spaced evenly still
 * arrive bunched now and then; the few refused are sent again.
 */
const WRITES_PER_SECOND = 48;

/**
 * The rotator's view of one account-region's Secrets Manager. A version's value never changes once
 * stored, so values read by version id are kept (bounded, briefly) for the later steps of the same
 * rotation: a warm rotator reads each value once.
 */
export class SecretStore {
  private readonly values = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: { maxEntries: number; ttlMs: number } = { maxEntries: 512, ttlMs: 10 * 60_000 },
    /** This account-region's writes, at its quota. */
    private readonly writes = new WritePacer(WRITES_PER_SECOND),
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

  /** A version's value if this container already read it: never a call (for what is only nice to know). */
  cachedVersion(arn: string, versionId: string): string | undefined {
    const cached = this.values.get(`${arn}|${versionId}`);
    return cached && cached.expires > Date.now() ? cached.value : undefined;
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
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
    if (out.SecretString !== undefined && out.ARN && out.VersionId) this.remember(out.ARN, out.VersionId, out.SecretString);
    return out.SecretString;
  }

  /**
   * Stores the pending value under the rotation's token; false when a value is already there (a
   * step run twice). `rotationToken` proves, across accounts, that this write belongs to the rotation.
   */
  async putPending(arn: string, token: string, value: string, rotationToken: string | undefined, deadline: number): Promise<boolean> {
    try {
      await this.writes.write(deadline, () =>
        this.client.send(
          new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: value, VersionStages: ['AWSPENDING'], ...(rotationToken ? { RotationToken: rotationToken } : {}) }),
        ),
      );
      this.remember(arn, token, value);
      return true;
    } catch (err) {
      if (err instanceof ResourceExistsException) return false;
      throw err;
    }
  }

  async makeCurrent(arn: string, token: string, currentVersionId: string | undefined, deadline: number): Promise<void> {
    await this.writes.write(deadline, () =>
      this.client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: currentVersionId })),
    );
  }
}
