import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { FindingState, RuleId } from './rules.ts';
import type { SecretRecord } from './findings.ts';

export interface HistoryEntry {
  at: string;
  rule: RuleId;
  from: FindingState;
  to: FindingState;
  reason?: string;
}

export interface EvaluationRecord {
  evaluationId: string;
  status: 'running' | 'succeeded' | 'failed';
  trigger: 'schedule' | 'request' | 'event';
  startedAt: string;
  finishedAt?: string;
  secrets?: number;
  listSecretsCalls?: number;
  durationMs?: number;
  error?: string;
}

export interface Count {
  secrets: number;
  nonCompliant: number;
}

/** One evaluation's figures, kept for the trend (overall, and per account, region and team). */
export interface EvaluationSummary {
  evaluationId: string;
  at: string;
  secrets: number;
  nonCompliant: number;
  byAccount: Record<string, Count>;
  byRegion: Record<string, Count>;
  byTeam: Record<string, Count>;
}

const scopeKey = (account: string, region: string) => `CMP#${account}#${region}`;
const TEAM_INDEX = 'byTeam';
const HISTORY_KEEP_SECONDS = 400 * 86_400;

/**
 * The compliance results in the control plane's table: one item per secret (its latest result for
 * every rule), the changes of each secret's rule states (history), each evaluation, and one summary
 * per full evaluation (the trend). Items of a scope (account and region) share a partition, so a
 * full evaluation reads what it knew of a scope in pages and the API lists a scope in pages; a
 * team's items are in the byTeam index.
 */
export class ComplianceStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private item(record: SecretRecord) {
    return {
      pk: scopeKey(record.account, record.region),
      sk: `SECRET#${record.arn}`,
      ...(record.team ? { gsi1pk: `CMPTEAM#${record.team}`, gsi1sk: record.arn } : {}),
      record: JSON.stringify(record),
    };
  }

  async getSecret(arn: string, account: string, region: string): Promise<SecretRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: scopeKey(account, region), sk: `SECRET#${arn}` } }));
    return out.Item ? (JSON.parse(out.Item.record as string) as SecretRecord) : undefined;
  }

  /** The stored records of these secrets (one scope), in one BatchGet per 100. */
  async getSecrets(account: string, region: string, arns: string[]): Promise<Map<string, SecretRecord>> {
    const found = new Map<string, SecretRecord>();
    for (let i = 0; i < arns.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = arns.slice(i, i + 100).map((arn) => ({ pk: scopeKey(account, region), sk: `SECRET#${arn}` }));
      while (keys?.length) {
        const out: { Responses?: Record<string, Record<string, unknown>[]>; UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }> } = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys } } }));
        for (const item of out.Responses?.[this.table] ?? []) {
          const record = JSON.parse(item.record as string) as SecretRecord;
          found.set(record.arn, record);
        }
        keys = out.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }

  async putSecrets(records: SecretRecord[]): Promise<void> {
    await this.batchWrite(records.map((r) => ({ PutRequest: { Item: this.item(r) } })));
  }

  async deleteSecret(arn: string, account: string, region: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: scopeKey(account, region), sk: `SECRET#${arn}` } }));
  }

  async deleteSecrets(account: string, region: string, arns: string[]): Promise<void> {
    await this.batchWrite(arns.map((arn) => ({ DeleteRequest: { Key: { pk: scopeKey(account, region), sk: `SECRET#${arn}` } } })));
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + 25);
      while (pending?.length) {
        const out: { UnprocessedItems?: Record<string, unknown> } = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending as never } }));
        pending = out.UnprocessedItems?.[this.table] as Record<string, unknown>[] | undefined;
      }
    }
  }

  /** The arns a scope's partition holds (to find secrets that are gone since). */
  async arnsIn(account: string, region: string): Promise<Set<string>> {
    const arns = new Set<string>();
    for await (const item of this.pages({ TableName: this.table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)', ExpressionAttributeValues: { ':pk': scopeKey(account, region), ':s': 'SECRET#' }, ProjectionExpression: 'sk' })) {
      arns.add((item.sk as string).slice('SECRET#'.length));
    }
    return arns;
  }

  /** Every record of a scope. */
  async *scopeRecords(account: string, region: string): AsyncGenerator<SecretRecord> {
    for await (const item of this.pages({ TableName: this.table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)', ExpressionAttributeValues: { ':pk': scopeKey(account, region), ':s': 'SECRET#' } })) {
      yield JSON.parse(item.record as string) as SecretRecord;
    }
  }

  /** Every record of a team (the byTeam index). */
  async *teamRecords(team: string): AsyncGenerator<SecretRecord> {
    for await (const item of this.pages({ TableName: this.table, IndexName: TEAM_INDEX, KeyConditionExpression: 'gsi1pk = :t', ExpressionAttributeValues: { ':t': `CMPTEAM#${team}` } })) {
      yield JSON.parse(item.record as string) as SecretRecord;
    }
  }

  private async *pages(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
      yield* out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  async addHistory(arn: string, entries: HistoryEntry[]): Promise<void> {
    await this.batchWrite(
      entries.map((e, i) => ({
        PutRequest: { Item: { pk: `CMPHIST#${arn}`, sk: `AT#${e.at}#${String(i).padStart(2, '0')}#${e.rule}`, ...e, expiresAt: Math.floor(Date.parse(e.at) / 1000) + HISTORY_KEEP_SECONDS } },
      })),
    );
  }

  async history(arn: string, limit = 100): Promise<HistoryEntry[]> {
    const out = await this.doc.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CMPHIST#${arn}` }, ScanIndexForward: false, Limit: limit }));
    return (out.Items ?? []).map((i) => ({ at: i.at as string, rule: i.rule as RuleId, from: i.from as FindingState, to: i.to as FindingState, ...(i.reason ? { reason: i.reason as string } : {}) }));
  }

  async putEvaluation(record: EvaluationRecord): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: `CMPEV#${record.evaluationId}`, sk: 'EVALUATION', ...record } }));
  }

  async getEvaluation(evaluationId: string): Promise<EvaluationRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `CMPEV#${evaluationId}`, sk: 'EVALUATION' } }));
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, ...rest } = out.Item;
    return rest as EvaluationRecord;
  }

  /**
   * Claims the one running full evaluation until `expiresAt` (the end of the invocation that
   * claims it): false while another's claim holds. A claim whose invocation has ended (a timeout, a
   * crash) is taken over at once; the evaluation it left is returned, to be closed as failed.
   */
  async claimRun(evaluationId: string, now: number, expiresAt: number): Promise<{ claimed: false } | { claimed: true; abandoned?: string }> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: 'CMP#RUN', sk: 'LOCK' },
          UpdateExpression: 'SET evaluationId = :id, claimedAt = :now, expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(expiresAt) OR expiresAt < :now OR evaluationId = :id',
          ExpressionAttributeValues: { ':id': evaluationId, ':now': now, ':expires': expiresAt },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const previous = out.Attributes?.evaluationId as string | undefined;
      return { claimed: true, ...(previous && previous !== evaluationId ? { abandoned: previous } : {}) };
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return { claimed: false };
      throw err;
    }
  }

  async runningEvaluation(): Promise<{ evaluationId: string; claimedAt: number } | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: 'CMP#RUN', sk: 'LOCK' } }));
    return out.Item?.claimedAt ? { evaluationId: out.Item.evaluationId as string, claimedAt: out.Item.claimedAt as number } : undefined;
  }

  async releaseRun(evaluationId: string): Promise<void> {
    try {
      await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: 'CMP#RUN', sk: 'LOCK' }, ConditionExpression: 'evaluationId = :id', ExpressionAttributeValues: { ':id': evaluationId } }));
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  async putSummary(summary: EvaluationSummary): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: 'CMP#SUMMARIES', sk: `${summary.at}#${summary.evaluationId}`, summary: JSON.stringify(summary) } }));
  }

  /** The latest summaries, oldest first. */
  async summaries(limit = 48): Promise<EvaluationSummary[]> {
    const out = await this.doc.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'CMP#SUMMARIES' }, ScanIndexForward: false, Limit: limit }));
    return (out.Items ?? []).map((i) => JSON.parse(i.summary as string) as EvaluationSummary).reverse();
  }
}

/** When each scope was last evaluated in full: a record unchanged since is still current as of then. */
export class ScopeEvaluations {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async put(account: string, region: string, at: string): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: 'CMP#SCOPES', sk: `${account}#${region}`, at } }));
  }

  async all(): Promise<Map<string, string>> {
    const out = await this.doc.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'CMP#SCOPES' } }));
    return new Map((out.Items ?? []).map((i) => [i.sk as string, i.at as string]));
  }
}
