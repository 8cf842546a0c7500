import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsSettings } from '../runtime/settings.ts';

/** A role in another account the control plane acts through (a member account's role). */
export interface RoleTarget {
  roleArn: string;
  region: string;
  externalId?: string;
  sessionName: string;
}

type Capture = <T>(client: T) => T;
type Credentials = SecretsManagerClientConfig['credentials'];

/**
 * The one place AWS clients are built, from settings only (region, endpoint, credentials): the same
 * code talks to AWS and to the local cloud. Each client is created on first use and reused; clients
 * for a member account's role get that role's temporary credentials, refreshed before they expire.
 */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();
  private readonly roles = new Map<string, AwsClients>();

  constructor(
    private readonly settings: AwsSettings,
    /** Tracer's captureAWSv3Client, so every call is a subsegment in X-Ray. */
    private readonly capture: Capture = (client) => client,
    private readonly credentials: Credentials = settings.credentials,
  ) {}

  get region(): string {
    return this.settings.region;
  }

  /** The settings every client of this identity and region is built with. */
  config() {
    return {
      region: this.settings.region,
      // Adaptive retries back off on throttling, which Secrets Manager's 50 writes/s quota causes at fleet scale.
      maxAttempts: this.settings.maxAttempts,
      retryMode: this.settings.retryMode ?? ('adaptive' as const),
      ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}),
      ...(this.credentials ? { credentials: this.credentials } : {}),
    };
  }

  /** The client under `key`, created on first use (shared/aws/workflow-clients.ts adds the clients only some functions need). */
  once<T>(key: string, create: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, this.capture(create()));
    return this.cache.get(key) as T;
  }

  get sm(): SecretsManagerClient {
    return this.once('sm', () => new SecretsManagerClient(this.config()));
  }
  get events(): EventBridgeClient {
    return this.once('events', () => new EventBridgeClient(this.config()));
  }
  get dynamodb(): DynamoDBClient {
    return this.once('dynamodb', () => new DynamoDBClient(this.config()));
  }
  get sts(): STSClient {
    return this.once('sts', () => new STSClient(this.config()));
  }

  /** The same identity in another region. */
  inRegion(region: string): AwsClients {
    if (region === this.settings.region) return this;
    return this.memo(`region:${region}`, () => new AwsClients({ ...this.settings, region }, this.capture, this.credentials));
  }

  /** Clients acting through a role (a member account's), in the role's region. */
  as(target: RoleTarget): AwsClients {
    return this.memo(`role:${target.roleArn}:${target.region}:${target.externalId ?? ''}`, () => {
      const credentials = fromTemporaryCredentials({
        params: { RoleArn: target.roleArn, RoleSessionName: target.sessionName, ...(target.externalId ? { ExternalId: target.externalId } : {}), DurationSeconds: 3600 },
        ...(this.credentials ? { masterCredentials: this.credentials } : {}),
        clientConfig: { region: this.settings.region, ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}) },
      });
      return new AwsClients({ ...this.settings, region: target.region }, this.capture, credentials);
    });
  }

  private memo(key: string, create: () => AwsClients): AwsClients {
    let clients = this.roles.get(key);
    if (!clients) this.roles.set(key, (clients = create()));
    return clients;
  }
}
