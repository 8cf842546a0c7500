import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SFNClient } from '@aws-sdk/client-sfn';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Real AWS SDK v3 clients pointed at a local cloud through the standard endpoint setting. The
 * access key id picks the account (12 digits: that account; a session key: that role session;
 * anything else: 000000000000) and the region is the one requests are signed for.
 */
export function awsClients(endpoint: string, options: { maxAttempts?: number; credentials?: Credentials; accessKeyId?: string; region?: string } = {}) {
  const config = {
    endpoint,
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? { accessKeyId: options.accessKeyId ?? 'test', secretAccessKey: 'test' },
    maxAttempts: options.maxAttempts ?? 1,
  };
  return {
    sm: new SecretsManagerClient(config),
    events: new EventBridgeClient(config),
    lambda: new LambdaClient(config),
    sts: new STSClient(config),
    dynamodb: new DynamoDBClient(config),
    iam: new IAMClient(config),
    organizations: new OrganizationsClient(config),
    sfn: new SFNClient(config),
  };
}

export async function admin<T = unknown>(base: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

let counter = 0;
/** A secret name no other test uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** An account id no other test uses (12 digits, never the default account). */
export function uniqueAccount(): string {
  counter += 1;
  return `9${String(process.pid % 100_000).padStart(5, '0')}${String((Date.now() + counter) % 1_000_000).padStart(6, '0')}`;
}
