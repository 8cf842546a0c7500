import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { controlPlaneTable } from '../../shared/names.ts';

/**
 * The control plane's one table. Access patterns:
 * - an onboarding by id: pk `ONB#<id>`, sk `ONB` (GetItem);
 * - a team's onboardings, newest first: GSI `byTeam`, gsi1pk `TEAM#<team>`, gsi1sk `<createdAt>#<id>` (Query, descending);
 * - the one active onboarding of a secret (a lock against two onboardings at once): pk `SECRET#<arn>`, sk `ACTIVE`.
 */

export type OnboardingStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'offboarded';

export interface StepRecord {
  step: string;
  outcome: 'succeeded' | 'failed' | 'compensated';
  at: string;
  durationMs?: number;
  message?: string;
}

export interface OnboardingRecord {
  onboardingId: string;
  team: string;
  secretArn?: string;
  secretId: string;
  status: OnboardingStatus;
  strategy?: string;
  schedule: string;
  currentStep?: string;
  steps: StepRecord[];
  failure?: { step: string; errorClass?: string; reason: string };
  createdAt: string;
  updatedAt: string;
  executionArn?: string;
}

export class OnboardingRecords {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly table = controlPlaneTable()) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(record: OnboardingRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `ONB#${record.onboardingId}`, sk: 'ONB', gsi1pk: `TEAM#${record.team}`, gsi1sk: `${record.createdAt}#${record.onboardingId}`, ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(onboardingId: string): Promise<OnboardingRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `ONB#${onboardingId}`, sk: 'ONB' } }));
    return out.Item ? strip(out.Item) : undefined;
  }

  async listByTeam(team: string, options: { status?: OnboardingStatus; limit: number; startKey?: Record<string, unknown> }) {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byTeam',
        KeyConditionExpression: 'gsi1pk = :team',
        ...(options.status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
        ExpressionAttributeValues: { ':team': `TEAM#${team}`, ...(options.status ? { ':status': options.status } : {}) },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: options.startKey,
      }),
    );
    return { items: (out.Items ?? []).map(strip), lastKey: out.LastEvaluatedKey };
  }

  /** Appends a step's outcome and moves the record along; creates nothing if the record is gone. */
  async recordStep(onboardingId: string, step: StepRecord, status: OnboardingStatus = 'running', extra: Partial<OnboardingRecord> = {}): Promise<void> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':step': [step], ':empty': [], ':name': step.step, ':status': status, ':now': step.at };
    const sets = ['steps = list_append(if_not_exists(steps, :empty), :step)', 'currentStep = :name', '#status = :status', 'updatedAt = :now'];
    for (const [key, value] of Object.entries(extra)) {
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `ONB#${onboardingId}`, sk: 'ONB' },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async setExecutionArn(onboardingId: string, executionArn: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `ONB#${onboardingId}`, sk: 'ONB' },
        UpdateExpression: 'SET executionArn = :arn',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':arn': executionArn },
      }),
    );
  }

  /** The onboarding holding the secret's lock, if any. */
  async lockHolder(secretArn: string): Promise<string | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `SECRET#${secretArn}`, sk: 'ACTIVE' } }));
    return out.Item?.onboardingId as string | undefined;
  }

  /** Takes the secret's onboarding lock; false when another onboarding holds it. */
  async claimSecret(secretArn: string, onboardingId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `SECRET#${secretArn}`, sk: 'ACTIVE', onboardingId },
          ConditionExpression: 'attribute_not_exists(pk) OR onboardingId = :id',
          ExpressionAttributeValues: { ':id': onboardingId },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async releaseSecret(secretArn: string, onboardingId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: `SECRET#${secretArn}`, sk: 'ACTIVE' }, ConditionExpression: 'onboardingId = :id', ExpressionAttributeValues: { ':id': onboardingId } }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }
}

function strip(item: Record<string, unknown>): OnboardingRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...record } = item;
  return record as unknown as OnboardingRecord;
}
