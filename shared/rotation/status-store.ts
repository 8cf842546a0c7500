import { QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RotationOutcome } from './outcome.ts';

export interface RotationStatus {
  /** Newest first, at most `HISTORY` of them. */
  outcomes: RotationOutcome[];
  lastFailure?: RotationOutcome;
  lastSuccess?: RotationOutcome;
}

const HISTORY = 20;
/** Outcomes expire after 90 days (DynamoDB TTL on `expiresAt`): history, not state. */
const KEEP_SECONDS = 90 * 86_400;

/**
 * Where the fleet rotator leaves how each rotation ended, one item per rotation token, in the
 * control plane's table (pk `ROT#<secret ARN>`, sk `AT#<time>#<token>`). Onboarding asks how ITS
 * rotation ended (a later rotation never hides it), the API shows the last failure and success,
 * compliance reads why a secret is not rotating.
 */
/** The one DynamoDB action `record` sends: the rotator's role is granted exactly this (infra/aws/lib/rotator-stack.ts). */
export const RECORD_ACTIONS = ['dynamodb:UpdateItem'] as const;

export class RotationStatusStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** An UpdateItem that creates the item: the rotator's role may update the table, never put over it. */
  async record(secretArn: string, outcome: RotationOutcome): Promise<void> {
    const fields: Record<string, { S: string } | { N: string }> = {
      token: { S: outcome.token },
      outcome: { S: outcome.outcome },
      step: { S: outcome.step },
      at: { S: outcome.at },
      expiresAt: { N: String(Math.floor(Date.parse(outcome.at) / 1000) + KEEP_SECONDS) },
    };
    if (outcome.errorClass) fields.errorClass = { S: outcome.errorClass };
    if (outcome.reason) fields.reason = { S: outcome.reason };
    const names = Object.keys(fields);
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: `ROT#${secretArn}` }, sk: { S: `AT#${outcome.at}#${outcome.token}` } },
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#f${i}`, n])),
        ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, fields[n]!])),
      }),
    );
  }

  async get(secretArn: string): Promise<RotationStatus> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :at)',
        ExpressionAttributeValues: { ':pk': { S: `ROT#${secretArn}` }, ':at': { S: 'AT#' } },
        ScanIndexForward: false,
        Limit: HISTORY,
      }),
    );
    const outcomes = (out.Items ?? []).map(
      (item): RotationOutcome => ({
        token: item.token!.S!,
        outcome: item.outcome!.S as RotationOutcome['outcome'],
        step: item.step!.S!,
        at: item.at!.S!,
        ...(item.errorClass?.S ? { errorClass: item.errorClass.S } : {}),
        ...(item.reason?.S ? { reason: item.reason.S } : {}),
      }),
    );
    return { outcomes, lastFailure: outcomes.find((o) => o.outcome === 'failed'), lastSuccess: outcomes.find((o) => o.outcome === 'succeeded') };
  }

  /** How the rotation with this token ended, if the rotator has said (its latest word for that token). */
  async outcomeOf(secretArn: string, token: string): Promise<RotationOutcome | undefined> {
    return (await this.get(secretArn)).outcomes.find((o) => o.token === token);
  }
}
