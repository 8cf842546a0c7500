import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ComplianceStore } from '../../services/compliance/store.ts';
import { awsClients, uniqueName } from '../support/aws-clients.ts';

// The one running full evaluation, claimed on DynamoDB as the local cloud serves it: a claim lives
// as long as the invocation that took it, so a crashed or timed-out evaluation never blocks the next.
const clients = awsClients(inject('cloudUrl'));
const table = uniqueName('compliance-claim');
const store = new ComplianceStore(clients.dynamodb, table);

beforeAll(async () => {
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
});

describe('the full evaluation claim', () => {
  it('holds until its invocation ends, then is taken over at once, naming the evaluation left behind', async () => {
    expect(await store.claimRun('ev-a', 1_000, 61_000)).toEqual({ claimed: true });
    // the same evaluation again (a retried delivery) keeps its claim
    expect(await store.claimRun('ev-a', 2_000, 61_000)).toEqual({ claimed: true });
    expect(await store.claimRun('ev-b', 60_000, 120_000)).toEqual({ claimed: false });
    expect(await store.runningEvaluation()).toMatchObject({ evaluationId: 'ev-a' });
    // ev-a's invocation died: past its end, the next one takes over without waiting any longer
    expect(await store.claimRun('ev-b', 61_001, 121_000)).toEqual({ claimed: true, abandoned: 'ev-a' });
    await store.releaseRun('ev-a');
    expect(await store.runningEvaluation()).toMatchObject({ evaluationId: 'ev-b' });
    await store.releaseRun('ev-b');
    expect(await store.runningEvaluation()).toBeUndefined();
  });
});
