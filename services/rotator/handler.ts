import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import { dynamoDbClient, eventBridgeClient, secretsManagerClient } from '../../shared/aws/clients.ts';
import { pluginFor } from './plugins/registry.ts';
import { SecretStore } from './secret-store.ts';
import { RotationStatusStore } from '../../shared/rotation-status/rotation-status-store.ts';
import { runPreflight, runStep, type RotatorDeps } from './step-protocol.ts';
import { auditBusName, rotatorIdempotencyTable } from '../../shared/names.ts';

/**
 * The fleet rotator Lambda: Secrets Manager invokes it four times per rotation. Everything built
 * here lives for the container's life; the drivers load only when a secret of their kind turns up.
 */
const logger = new Logger({ serviceName: 'fleet-rotator' });
// One DynamoDB client for the idempotency records and the rotation status.
const dynamodb = dynamoDbClient();

const deps: RotatorDeps = {
  store: new SecretStore(secretsManagerClient()),
  audit: new EventBridgeAuditSink(eventBridgeClient(), auditBusName(), (reason) =>
    logger.error('audit event not delivered', { reason }),
  ),
  log: {
    info: (message, fields) => logger.info(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
    error: (message, fields) => logger.error(message, fields),
  },
  pluginFor,
  connectTimeoutMs: Number(process.env.ROTATOR_CONNECT_TIMEOUT_MS ?? 5000),
  actor: 'fleet-rotator',
  status: new RotationStatusStore(dynamodb),
};

// A step delivered twice at once runs once: the second waits out as "in progress" and is retried by Secrets Manager.
const idempotency = makeHandlerIdempotent({
  persistenceStore: new DynamoDBPersistenceLayer({ tableName: rotatorIdempotencyTable(), awsSdkV3Client: dynamodb }),
  config: new IdempotencyConfig({ eventKeyJmesPath: '[SecretId, ClientRequestToken, Step]', expiresAfterSeconds: 3600, throwOnNoIdempotencyKey: true }),
});

export const handler = middy<unknown, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(idempotency)
  .handler(async (event) => {
    // Onboarding's preflight goes through the rotator: it is the only role that reads secret values.
    if ((event as { Step?: unknown })?.Step === 'preflight') return runPreflight(event, deps);
    await runStep(event, deps);
    return null;
  });
