import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { OnboardingStatus } from '../../shared/contract/types.ts';
import type { PreflightFindings, SecretSnapshot } from './state.ts';

export type { OnboardingStatus };

/**
 * The control plane's one table. Access patterns:
 * - an onboarding by id: pk `ONB#<id>`, sk `ONB` (GetItem);
 * - a team's onboardings, newest first: GSI `byTeam`, gsi1pk `TEAM#<team>`, gsi1sk `<createdAt>#<id>` (Query, descending);
 * - the one active onboarding of a secret (a lock against two onboardings at once): pk `SECRET#<arn>`, sk `ACTIVE`;
 * - how each rotation ended: pk `ROT#<arn>` (shared/rotation/status-store.ts).
 */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk', teamIndex: { name: 'byTeam', partition: 'gsi1pk', sort: 'gsi1sk' } } as const;

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
  /** Validate's snapshot and preflight's findings: what a cancellation outside the workflow needs to undo its changes. */
  validate?: SecretSnapshot;
  preflight?: PreflightFindings;
  cancelRequested?: { at: string; actor: string };
  /** The rotation the onboarding waits for (its task token is in FirstRotationWaits). */
  waiting?: { secretArn: string; versionId: string };
  /** The client's Idempotency-Key: the same request again gets this onboarding back. */
  idempotencyKey?: string;
}

export class OnboardingRecords {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly table: string) {
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
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `ONB#${onboardingId}`, sk: 'ONB' }, ConsistentRead: true }));
    return out.Item ? strip(out.Item) : undefined;
  }

  async listByTeam(team: string, options: { status?: OnboardingStatus; limit: number; startKey?: Record<string, unknown> }) {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: TABLE_KEYS.teamIndex.name,
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

  /**
   * Appends a step's outcome; sets `status` only when given (a final step), plus `extra` fields.
   * Creates nothing if the record is gone.
   */
  async recordStep(onboardingId: string, step: StepRecord, status?: OnboardingStatus, extra: Partial<OnboardingRecord> = {}): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':step': [step], ':empty': [], ':name': step.step, ':now': step.at };
    const sets = ['steps = list_append(if_not_exists(steps, :empty), :step)', 'currentStep = :name', 'updatedAt = :now'];
    for (const [key, value] of Object.entries({ ...extra, ...(status ? { status } : {}) })) {
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    await this.update(onboardingId, `SET ${sets.join(', ')}`, names, values);
  }

  /** The workflow took the onboarding up: pending becomes running (never a later status). */
  async markRunning(onboardingId: string, at: string): Promise<void> {
    await this.update(onboardingId, 'SET #status = :running, updatedAt = :at', { '#status': 'status' }, { ':running': 'running', ':pending': 'pending', ':at': at }, '#status = :pending');
  }

  async setExecutionArn(onboardingId: string, executionArn: string): Promise<void> {
    await this.update(onboardingId, 'SET executionArn = :arn', {}, { ':arn': executionArn });
  }

  /** Asks a pending or running onboarding to stop; false when it has already ended. */
  async requestCancel(onboardingId: string, actor: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `ONB#${onboardingId}`, sk: 'ONB' },
          UpdateExpression: 'SET #status = :cancelling, cancelRequested = :request, updatedAt = :at',
          ConditionExpression: '#status IN (:pending, :running, :cancelling)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':cancelling': 'cancelling', ':pending': 'pending', ':running': 'running', ':request': { at, actor }, ':at': at },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  private async update(onboardingId: string, expression: string, names: Record<string, string>, values: Record<string, unknown>, condition?: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `ONB#${onboardingId}`, sk: 'ONB' },
          UpdateExpression: expression,
          ConditionExpression: condition ? `attribute_exists(pk) AND ${condition}` : 'attribute_exists(pk)',
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  /** The onboarding holding the secret's lock, if any. */
  async lockHolder(secretArn: string): Promise<string | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `SECRET#${secretArn}`, sk: 'ACTIVE' }, ConsistentRead: true }));
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
