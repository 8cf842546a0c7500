import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';

/**
 * AWS clients built from the standard SDK configuration only (region, credentials, and
 * `AWS_ENDPOINT_URL` when a local cloud stands in for AWS): the same code talks to AWS and to the
 * embedded default. One client per process, created on first use, reused across invocations.
 */
const cache = new Map<string, unknown>();

function once<T>(key: string, create: () => T): T {
  if (!cache.has(key)) cache.set(key, create());
  return cache.get(key) as T;
}

/** Retries with the SDK's adaptive mode: backs off on throttling, which Secrets Manager's 50 writes/s quota causes at fleet scale. */
const common = () => ({ maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS ?? 5), retryMode: 'adaptive' as const });

export const secretsManagerClient = () => once('secretsmanager', () => new SecretsManagerClient(common()));
export const eventBridgeClient = () => once('events', () => new EventBridgeClient(common()));
export const dynamoDbClient = () => once('dynamodb', () => new DynamoDBClient(common()));
export const lambdaClient = () => once('lambda', () => new LambdaClient(common()));
export const sfnClient = () => once('sfn', () => new SFNClient(common()));
