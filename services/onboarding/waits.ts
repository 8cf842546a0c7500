import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** An onboarding waiting for its first rotation: the workflow's task token, found by the rotation's version. */
export interface FirstRotationWait {
  secretArn: string;
  versionId: string;
  taskToken: string;
  onboardingId: string;
  strategy: string;
}

/**
 * Where a waiting onboarding leaves its task token (pk `WAIT#<secret ARN>`, sk `VERSION#<version id>`),
 * so the rotation's own event resumes it, and a cancellation can fail it, without polling.
 */
export class FirstRotationWaits {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  private key(secretArn: string, versionId: string) {
    return { pk: { S: `WAIT#${secretArn}` }, sk: { S: `VERSION#${versionId}` } };
  }

  async register(wait: FirstRotationWait): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...this.key(wait.secretArn, wait.versionId),
          taskToken: { S: wait.taskToken },
          onboardingId: { S: wait.onboardingId },
          strategy: { S: wait.strategy },
          // A wait outlives no workflow: Step Functions times the task out long before this.
          expiresAt: { N: String(Math.floor(Date.now() / 1000) + 86_400) },
        },
      }),
    );
  }

  async get(secretArn: string, versionId: string): Promise<FirstRotationWait | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: this.key(secretArn, versionId), ConsistentRead: true }));
    if (!out.Item) return undefined;
    return { secretArn, versionId, taskToken: out.Item.taskToken!.S!, onboardingId: out.Item.onboardingId!.S!, strategy: out.Item.strategy!.S! };
  }

  async remove(secretArn: string, versionId: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: this.key(secretArn, versionId) }));
  }
}
