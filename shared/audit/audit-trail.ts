import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditDetail } from './audit-events.ts';

/** One audit event as a secret's trail keeps it: EventBridge's id and time, its detail type and detail. */
export interface TrailEvent {
  id: string;
  time: string;
  detailType: string;
  detail: AuditDetail;
}

/** A page of a trail, newest first; `next` is where the following page starts. */
export interface TrailPage {
  items: TrailEvent[];
  next?: TrailCursor;
}

export interface TrailCursor {
  secretArn: string;
  sk: string;
}

/**
 * Each secret's audit events, by secret (partition: the secret's ARN; sort: time then event id, so a
 * query reads newest first). Recording is idempotent on the event id: EventBridge delivers at least
 * once, and a redelivered event has the same id and time, so the same key. Items expire after the
 * retention (DynamoDB TTL on `expiresAt`, in epoch seconds); reads skip expired items, which
 * DynamoDB may keep for a while after they expire.
 */
export class AuditTrail {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Records one event; false when it was already recorded (a redelivery). */
  async record(event: TrailEvent, retentionDays: number): Promise<boolean> {
    const expiresAt = Math.floor(Date.parse(event.time) / 1000) + retentionDays * 86_400;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { secretArn: event.detail.secretArn, sk: sortKey(event), id: event.id, time: event.time, detailType: event.detailType, detail: event.detail, expiresAt },
          ConditionExpression: 'attribute_not_exists(secretArn)',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  /** One page of a secret's trail, newest first. */
  async page(secretArn: string, options: { limit: number; after?: TrailCursor }): Promise<TrailPage> {
    const items: TrailEvent[] = [];
    let startKey: Record<string, unknown> | undefined = options.after ? { secretArn: options.after.secretArn, sk: options.after.sk } : undefined;
    // The expiry filter applies after DynamoDB's limit: keep reading until the page is full.
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'secretArn = :arn',
          FilterExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':arn': secretArn, ':now': Math.floor(this.now() / 1000) },
          ScanIndexForward: false,
          Limit: options.limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of out.Items ?? []) items.push({ id: item.id as string, time: item.time as string, detailType: item.detailType as string, detail: item.detail as AuditDetail });
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < options.limit);
    return { items, ...(startKey ? { next: { secretArn: startKey.secretArn as string, sk: startKey.sk as string } } : {}) };
  }
}

const sortKey = (event: Pick<TrailEvent, 'time' | 'id'>) => `${event.time}#${event.id}`;
