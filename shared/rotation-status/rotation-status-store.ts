import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { controlPlaneTable } from '../names.ts';

/** The last outcome of a secret's rotation as the fleet rotator saw it (no values: a step, a class, a reason). */
export interface RotationOutcome {
  token: string;
  step: string;
  at: string;
  errorClass?: string;
  reason?: string;
}

/** A rotation that failed at these steps changed nothing on the service (the new password was never set). */
export function failedBeforeTheChange(outcome: RotationOutcome): boolean {
  return outcome.step === 'createSecret' || outcome.step === 'setSecret';
}

export interface RotationStatus {
  lastFailure?: RotationOutcome;
  lastSuccess?: RotationOutcome;
}

/**
 * Where the rotator leaves each rotation's last failure and last success, in the control plane's
 * table (pk `ROT#<secret ARN>`, sk `STATUS`), so onboarding can report why a first rotation failed
 * and the API can answer "when did it last fail, and why".
 */
export class RotationStatusStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table = controlPlaneTable(),
  ) {}

  async record(secretArn: string, kind: 'lastFailure' | 'lastSuccess', outcome: RotationOutcome): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: `ROT#${secretArn}` }, sk: { S: 'STATUS' } },
        UpdateExpression: 'SET #kind = :outcome, updatedAt = :at',
        ExpressionAttributeNames: { '#kind': kind },
        ExpressionAttributeValues: { ':outcome': { S: JSON.stringify(outcome) }, ':at': { S: outcome.at } },
      }),
    );
  }

  async get(secretArn: string): Promise<RotationStatus> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: `ROT#${secretArn}` }, sk: { S: 'STATUS' } } }));
    const read = (key: string) => (out.Item?.[key]?.S ? (JSON.parse(out.Item[key].S) as RotationOutcome) : undefined);
    return { lastFailure: read('lastFailure'), lastSuccess: read('lastSuccess') };
  }
}
