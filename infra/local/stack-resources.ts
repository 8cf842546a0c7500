import { CreateEventBusCommand, EventBridgeClient, ResourceAlreadyExistsException } from '@aws-sdk/client-eventbridge';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { apiIdempotencyTable, auditBusName, controlPlaneTable, rotatorIdempotencyTable } from '../../shared/names.ts';

/**
 * What the stacks create on AWS around the functions, created in the local cloud: the audit bus,
 * the rotator's idempotency table and the control plane's table. Safe to run at every start.
 */
export async function ensureStackResources(endpoint: string, region: string): Promise<void> {
  const config = { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const events = new EventBridgeClient(config);
  const dynamodb = new DynamoDBClient(config);
  try {
    await events.send(new CreateEventBusCommand({ Name: auditBusName(), Description: 'audit events of the secret rotation control plane' }));
  } catch (err) {
    if (!(err instanceof ResourceAlreadyExistsException)) throw err;
  }
  for (const idempotencyTable of [rotatorIdempotencyTable(), apiIdempotencyTable()]) {
    try {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: idempotencyTable,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
  }
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: controlPlaneTable(),
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byTeam',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
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
