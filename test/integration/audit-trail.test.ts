import { randomUUID } from 'node:crypto';
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_SOURCE } from '../../shared/audit/audit-events.ts';
import { AuditTrail } from '../../shared/audit/audit-trail.ts';
import { recordAuditEvent, type DeliveredEvent } from '../../services/audit-trail/recorder.ts';
import { awsClients, uniqueName } from '../support/aws-clients.ts';

// The audit trail recorder and reader against DynamoDB as the local cloud serves it (the real SDK over HTTP).
const clients = awsClients(inject('cloudUrl'));
const table = uniqueName('audit-trail');
const SECRET = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:analytics/db-AbCdEf';
const trail = new AuditTrail(clients.dynamodb, table);

beforeAll(async () => {
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: 'secretArn', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'secretArn', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
});

const event = (second: number, step: string, overrides: Partial<DeliveredEvent> = {}): DeliveredEvent => ({
  id: randomUUID(),
  time: new Date(Date.UTC(2026, 10, 23, 12, 0, second)).toISOString().replace('.000', ''),
  source: AUDIT_SOURCE,
  'detail-type': 'Rotation Step Succeeded',
  detail: { secretArn: SECRET, account: '222222222222', region: 'eu-west-1', step, outcome: 'succeeded', durationMs: 12, actor: 'fleet-rotator', rotationToken: 'v-1' },
  ...overrides,
});

describe("a secret's audit trail", () => {
  it('records each event once, however often EventBridge delivers it, and reads newest first, page by page', async () => {
    const events = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((step, i) => event(i, step));
    for (const e of events) expect(await recordAuditEvent(e, { trail, retentionDays: 365 })).toEqual({ outcome: 'recorded' });
    // at-least-once delivery: the same event again changes nothing
    expect(await recordAuditEvent(events[1]!, { trail, retentionDays: 365 })).toEqual({ outcome: 'already-recorded' });

    const all = await trail.page(SECRET, { limit: 10 });
    expect(all.items.map((e) => e.detail.step)).toEqual(['finishSecret', 'testSecret', 'setSecret', 'createSecret']);
    expect(all.items[0]).toMatchObject({ id: events[3]!.id, time: '2026-11-23T12:00:03.000Z', detailType: 'Rotation Step Succeeded' });
    expect(all.next).toBeUndefined();

    const first = await trail.page(SECRET, { limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.next).toBeDefined();
    const second = await trail.page(SECRET, { limit: 3, after: first.next });
    expect(second.items.map((e) => e.detail.step)).toEqual(['createSecret']);
    // another secret's trail is its own
    expect((await trail.page(SECRET.replace('analytics/db', 'other/db'), { limit: 10 })).items).toEqual([]);
  });

  it('ignores what is not a product audit event, and a detail with a field the schema does not list (a value could hide there)', async () => {
    const other = `${SECRET}-ignored`;
    const base = event(10, 'createSecret');
    const withSecret = { ...base, detail: { ...(base.detail as object), secretArn: other, password: 'canary-value' } };
    expect(await recordAuditEvent(withSecret, { trail, retentionDays: 365 })).toMatchObject({ outcome: 'ignored' });
    expect(await recordAuditEvent({ ...base, source: 'aws.secretsmanager', detail: { ...(base.detail as object), secretArn: other } }, { trail, retentionDays: 365 })).toMatchObject({ outcome: 'ignored' });
    expect(await recordAuditEvent({ ...base, time: 'yesterday', detail: { ...(base.detail as object), secretArn: other } }, { trail, retentionDays: 365 })).toMatchObject({ outcome: 'ignored' });
    expect((await trail.page(other, { limit: 10 })).items).toEqual([]);
  });

  it('skips events past their retention, which DynamoDB TTL may not have deleted yet', async () => {
    const kept = `${SECRET}-retention`;
    const e = event(20, 'createSecret');
    await recordAuditEvent({ ...e, detail: { ...(e.detail as object), secretArn: kept } }, { trail, retentionDays: 30 });
    expect((await trail.page(kept, { limit: 10 })).items).toHaveLength(1);
    const later = new AuditTrail(clients.dynamodb, table, () => Date.parse(e.time!) + 31 * 86_400_000);
    expect((await later.page(kept, { limit: 10 })).items).toEqual([]);
  });
});
