import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

/** A table for Powertools idempotency records: key `id`, expiring through `expiration`, encrypted, recoverable. */
export function idempotencyTable(scope: Construct, id: string, tableName?: string): Table {
  return new Table(scope, id, {
    tableName,
    partitionKey: { name: 'id', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'expiration',
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // Records live a day at most: nothing worth keeping when the stack goes.
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
