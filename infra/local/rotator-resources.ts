import { CreateEventBusCommand, EventBridgeClient, ResourceAlreadyExistsException } from '@aws-sdk/client-eventbridge';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { DEFAULT_AUDIT_BUS } from '../../shared/audit/audit-events.ts';

/**
 * What the rotator needs around it, created in the local cloud as the CDK stacks create it on AWS:
 * the audit bus and the idempotency table. Safe to run at every start.
 */
export async function ensureRotatorResources(endpoint: string, region: string): Promise<void> {
  const config = { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const events = new EventBridgeClient(config);
  const dynamodb = new DynamoDBClient(config);
  try {
    await events.send(new CreateEventBusCommand({ Name: process.env.AUDIT_BUS_NAME ?? DEFAULT_AUDIT_BUS, Description: 'audit events of the secret rotation control plane' }));
  } catch (err) {
    if (!(err instanceof ResourceAlreadyExistsException)) throw err;
  }
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: process.env.IDEMPOTENCY_TABLE_NAME ?? 'rcp-rotator-idempotency',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  events.destroy();
  dynamodb.destroy();
}

/** Points in-process functions (the rotator) at this local cloud through the standard SDK settings. */
export function useLocalCloudForInProcessFunctions(endpoint: string, region: string): void {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_REGION = region;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}
