import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  ListEventBusesCommand,
  PutEventsCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-eventbridge';
import {
  AddPermissionCommand,
  GetPolicyCommand,
  InvokeCommand,
  RemovePermissionCommand,
  ResourceConflictException,
  ResourceNotFoundException as LambdaNotFound,
} from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CreateTableCommand, GetItemCommand, PutItemCommand, ConditionalCheckFailedException, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { admin, awsClients, uniqueName } from '../support/aws-clients.ts';
import { serveTestFunction, type TestFunction } from '../support/test-function.ts';

const url = inject('cloudUrl');
const clients = awsClients(url);
const opened: TestFunction[] = [];
afterAll(() => Promise.all(opened.map((f) => f.close())));

describe('EventBridge', () => {
  it('creates and lists buses; refuses a duplicate and the reserved name', async () => {
    const name = uniqueName('bus');
    const created = await clients.events.send(new CreateEventBusCommand({ Name: name, Description: 'audit' }));
    expect(created.EventBusArn).toBe(`arn:aws:events:us-east-1:000000000000:event-bus/${name}`);
    await expect(clients.events.send(new CreateEventBusCommand({ Name: name }))).rejects.toThrow(ResourceAlreadyExistsException);
    await expect(clients.events.send(new CreateEventBusCommand({ Name: 'default' }))).rejects.toMatchObject({ name: 'ValidationException' });
    const listed = await clients.events.send(new ListEventBusesCommand({ NamePrefix: name }));
    expect(listed.EventBuses!.map((b) => b.Name)).toEqual([name]);
    expect((await clients.events.send(new DescribeEventBusCommand({ Name: 'default' }))).Arn).toBe('arn:aws:events:us-east-1:000000000000:event-bus/default');
  });

  it('puts events, failing bad entries one by one, and keeps the good ones readable', async () => {
    const bus = uniqueName('audit');
    await clients.events.send(new CreateEventBusCommand({ Name: bus }));
    const out = await clients.events.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: bus, Source: 'rcp.test', DetailType: 'ok', Detail: '{"n":1}' },
          { EventBusName: bus, Source: 'rcp.test', DetailType: 'bad', Detail: 'not json' },
          { EventBusName: bus, Source: 'rcp.test', DetailType: 'array', Detail: '[1]' },
          { EventBusName: `arn:aws:events:us-east-1:000000000000:event-bus/${bus}`, Source: 'rcp.test', DetailType: 'missing-detail' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries![0]!.EventId).toBeDefined();
    expect(out.Entries!.slice(1).map((e) => e.ErrorCode)).toEqual(['MalformedDetail', 'MalformedDetail', 'InvalidArgument']);
    const { events } = await admin<{ events: Array<{ id: string; detail: unknown; 'detail-type': string; account: string; region: string }> }>(
      url,
      `/_local/events?bus=${bus}`,
    );
    expect(events).toEqual([expect.objectContaining({ id: out.Entries![0]!.EventId, 'detail-type': 'ok', detail: { n: 1 }, account: '000000000000', region: 'us-east-1' })]);
  });

  it('rejects requests with no or too many entries, or over the size limit', async () => {
    await expect(clients.events.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
    const entry = { Source: 's', DetailType: 'd', Detail: '{}' };
    await expect(clients.events.send(new PutEventsCommand({ Entries: Array(11).fill(entry) }))).rejects.toMatchObject({ name: 'ValidationException' });
    const big = { Source: 's', DetailType: 'd', Detail: JSON.stringify({ x: 'a'.repeat(600_000) }) };
    await expect(clients.events.send(new PutEventsCommand({ Entries: [big, big] }))).rejects.toThrow('Total size of the entries in the request is over the limit.');
  });
});

describe('Lambda', () => {
  async function fn(handler: (event: unknown) => Promise<unknown>) {
    const f = await serveTestFunction(url, uniqueName('lf').slice(0, 60), handler);
    opened.push(f);
    return f;
  }

  it('adds, reads and removes permissions in the statement layout Lambda uses', async () => {
    const f = await fn(async () => null);
    await expect(clients.lambda.send(new GetPolicyCommand({ FunctionName: f.name }))).rejects.toThrow(LambdaNotFound);
    const added = await clients.lambda.send(
      new AddPermissionCommand({
        FunctionName: f.arn,
        StatementId: 'sm',
        Action: 'lambda:InvokeFunction',
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: '000000000000',
        SourceArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:*',
      }),
    );
    expect(JSON.parse(added.Statement!)).toEqual({
      Sid: 'sm',
      Effect: 'Allow',
      Principal: { Service: 'secretsmanager.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: f.arn,
      Condition: { StringEquals: { 'AWS:SourceAccount': '000000000000' }, ArnLike: { 'AWS:SourceArn': 'arn:aws:secretsmanager:us-east-1:000000000000:secret:*' } },
    });
    await expect(
      clients.lambda.send(new AddPermissionCommand({ FunctionName: f.name, StatementId: 'sm', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' })),
    ).rejects.toThrow(ResourceConflictException);
    const policy = await clients.lambda.send(new GetPolicyCommand({ FunctionName: f.name }));
    expect(JSON.parse(policy.Policy!)).toMatchObject({ Version: '2012-10-17', Statement: [{ Sid: 'sm' }] });
    expect(policy.RevisionId).toBeDefined();
    await clients.lambda.send(new RemovePermissionCommand({ FunctionName: f.name, StatementId: 'sm' }));
    await expect(clients.lambda.send(new GetPolicyCommand({ FunctionName: f.name }))).rejects.toThrow(LambdaNotFound);
    await expect(clients.lambda.send(new RemovePermissionCommand({ FunctionName: f.name, StatementId: 'sm' }))).rejects.toThrow(LambdaNotFound);
  });

  it('invokes a function, returning its result or its error as Lambda reports them', async () => {
    const ok = await fn(async (event) => ({ echoed: event }));
    const result = await clients.lambda.send(new InvokeCommand({ FunctionName: ok.name, Payload: Buffer.from('{"a":1}') }));
    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(result.Payload!).toString())).toEqual({ echoed: { a: 1 } });

    const failing = await fn(async () => {
      throw Object.assign(new Error('boom'), { name: 'BoomError' });
    });
    const failed = await clients.lambda.send(new InvokeCommand({ FunctionName: failing.arn, Payload: Buffer.from('{}') }));
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(failed.Payload!).toString())).toMatchObject({ errorType: 'BoomError', errorMessage: 'boom' });

    await expect(clients.lambda.send(new InvokeCommand({ FunctionName: 'no-such-function' }))).rejects.toThrow(LambdaNotFound);
    const event = await clients.lambda.send(new InvokeCommand({ FunctionName: ok.name, InvocationType: 'Event', Payload: Buffer.from('{}') }));
    expect(event.StatusCode).toBe(202);
  });
});

describe('STS and DynamoDB', () => {
  it('answers GetCallerIdentity with the local account', async () => {
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: '000000000000', Arn: 'arn:aws:iam::000000000000:root' });
  });

  it('serves DynamoDB through the same endpoint, with conditional writes', async () => {
    const table = uniqueName('tbl');
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, v: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' }));
    await expect(
      clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, v: { N: '2' } }, ConditionExpression: 'attribute_not_exists(pk)' })),
    ).rejects.toThrow(ConditionalCheckFailedException);
    const item = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' } } }));
    expect(item.Item).toEqual({ pk: { S: 'a' }, v: { N: '1' } });
  });

  it('answers an unknown operation with an AWS-shaped error', async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'x-amz-target': 'secretsmanager.NoSuchThing', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const malformed = await fetch(url, { method: 'POST', headers: { 'x-amz-target': 'secretsmanager.ListSecrets', 'content-type': 'application/x-amz-json-1.1' }, body: '{nope' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ __type: 'SerializationException' });
  });
});
