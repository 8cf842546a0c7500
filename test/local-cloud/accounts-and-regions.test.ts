import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { PutEventsCommand, DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { admin, awsClients, uniqueAccount, uniqueName } from '../support/aws-clients.ts';
import { serveTestFunction, type TestFunction } from '../support/test-function.ts';

// Many accounts and regions in one local cloud: the account comes from a 12-digit access key id,
// the region from the request's signing scope, and each account-region has its own resources.
const url = inject('cloudUrl');
const run = promisify(execFile);
const cliEnv = { ...process.env, AWS_SECRET_ACCESS_KEY: 'test', AWS_PAGER: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
const opened: TestFunction[] = [];
afterAll(() => Promise.all(opened.map((f) => f.close())));

describe('the caller decides the account and the region', () => {
  it('through the SDK: a 12-digit key acts in that account, the signing region is the region', async () => {
    const account = uniqueAccount();
    const clients = awsClients(url, { accessKeyId: account, region: 'eu-west-1' });
    expect(await clients.sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: account, Arn: `arn:aws:iam::${account}:root`, UserId: account });
    const name = uniqueName('acct');
    const created = await clients.sm.send(new CreateSecretCommand({ Name: name, SecretString: 'in eu-west-1' }));
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:eu-west-1:${account}:secret:${name}-[A-Za-z0-9]{6}$`));
    // the same account in another region has its own secrets
    const usEast = awsClients(url, { accessKeyId: account, region: 'us-east-1' });
    await expect(usEast.sm.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await usEast.sm.send(new CreateSecretCommand({ Name: name, SecretString: 'in us-east-1' }));
    expect((await usEast.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('in us-east-1');
    expect((await clients.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('in eu-west-1');
  });

  it('through the aws CLI with AWS_ACCESS_KEY_ID set to an account id', async () => {
    const account = uniqueAccount();
    const aws = async (...args: string[]) => {
      const { stdout } = await run('/usr/bin/aws', ['--endpoint-url', url, '--output', 'json', ...args], { env: { ...cliEnv, AWS_ACCESS_KEY_ID: account, AWS_DEFAULT_REGION: 'us-west-2' } });
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    expect(await aws('sts', 'get-caller-identity')).toMatchObject({ Account: account });
    const name = uniqueName('cli-acct');
    const created = await aws('secretsmanager', 'create-secret', '--name', name, '--secret-string', 'v');
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-west-2:${account}:secret:`));
    const listed = await aws('secretsmanager', 'list-secrets');
    expect((listed.SecretList as Array<{ Name: string }>).map((s) => s.Name)).toEqual([name]);
  });

  it('through boto3 in another region', async () => {
    const account = uniqueAccount();
    const name = uniqueName('py-region');
    const script = `
import boto3, json, sys
sm = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name="ap-southeast-2", aws_access_key_id=sys.argv[3], aws_secret_access_key="t")
arn = sm.create_secret(Name=sys.argv[2], SecretString="v")["ARN"]
home = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[3], aws_secret_access_key="t")
print(json.dumps({"arn": arn, "elsewhere": [s["Name"] for s in home.list_secrets()["SecretList"]]}))
`;
    const { stdout } = await run('/usr/bin/python3', ['-c', script, url, name, account], { env: cliEnv });
    const out = JSON.parse(stdout) as { arn: string; elsewhere: string[] };
    expect(out.arn).toMatch(new RegExp(`^arn:aws:secretsmanager:ap-southeast-2:${account}:secret:${name}-`));
    expect(out.elsewhere).toEqual([]);
  });

  it('any other key acts in the default account', async () => {
    expect((await awsClients(url, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }).sts.send(new GetCallerIdentityCommand({}))).Account).toBe('000000000000');
  });

  it('refuses session credentials it never issued', async () => {
    const forged = awsClients(url, { credentials: { accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x', sessionToken: 'forged' } });
    await expect(forged.sm.send(new ListSecretsCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(forged.sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
  });
});

describe('account isolation', () => {
  it('keeps a secret of one account out of reach of another', async () => {
    const [a, b] = [uniqueAccount(), uniqueAccount()];
    const clientsA = awsClients(url, { accessKeyId: a });
    const clientsB = awsClients(url, { accessKeyId: b });
    const name = uniqueName('iso');
    const { ARN } = await clientsA.sm.send(new CreateSecretCommand({ Name: name, SecretString: 'only for a' }));
    await expect(clientsB.sm.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await clientsB.sm.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
    // By its ARN it is found, and refused: no resource policy shares it with account b.
    await expect(clientsB.sm.send(new GetSecretValueCommand({ SecretId: ARN }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:iam::${b}:root is not authorized to perform: secretsmanager:GetSecretValue on resource: ${ARN} because no resource-based policy allows the secretsmanager:GetSecretValue action`,
    });
  });

  it('gives each account-region its own default bus, events, functions and tables', async () => {
    const [a, b] = [uniqueAccount(), uniqueAccount()];
    const clientsA = awsClients(url, { accessKeyId: a, region: 'eu-central-1' });
    const clientsB = awsClients(url, { accessKeyId: b, region: 'eu-central-1' });
    expect((await clientsA.events.send(new DescribeEventBusCommand({}))).Arn).toBe(`arn:aws:events:eu-central-1:${a}:event-bus/default`);
    await clientsA.events.send(new PutEventsCommand({ Entries: [{ Source: 'rcp.accounts', DetailType: 'a', Detail: '{}' }] }));
    await clientsB.events.send(new PutEventsCommand({ Entries: [{ Source: 'rcp.accounts', DetailType: 'b', Detail: '{}' }] }));
    const ofA = await admin<{ events: Array<{ account: string; region: string; 'detail-type': string }> }>(url, `/_local/events?account=${a}&source=rcp.accounts`);
    expect(ofA.events.map((e) => [e.account, e.region, e['detail-type']])).toEqual([[a, 'eu-central-1', 'a']]);
    const all = await admin<{ events: Array<{ account: string }> }>(url, '/_local/events?source=rcp.accounts');
    expect(all.events.map((e) => e.account)).toEqual(expect.arrayContaining([a, b]));

    const fn = await serveTestFunction(url, uniqueName('acct-fn').slice(0, 60), async () => 'ok', { account: a, region: 'eu-central-1' });
    opened.push(fn);
    expect(fn.arn).toBe(`arn:aws:lambda:eu-central-1:${a}:function:${fn.name}`);
    expect((await clientsA.lambda.send(new GetFunctionCommand({ FunctionName: fn.name }))).Configuration!.FunctionArn).toBe(fn.arn);
    await expect(clientsB.lambda.send(new GetFunctionCommand({ FunctionName: fn.name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    const table = uniqueName('t');
    for (const [clients, value] of [
      [clientsA, 'a'],
      [clientsB, 'b'],
    ] as const) {
      const created = await clients.dynamodb.send(
        new CreateTableCommand({ TableName: table, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
      );
      expect(created.TableDescription!.TableArn).toBe(`arn:aws:dynamodb:eu-central-1:${clients === clientsA ? a : b}:table/${table}`);
      // As on AWS, a new table is CREATING for a moment and refuses writes until it is ACTIVE.
      await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'k' }, v: { S: value } } }));
    }
    expect((await clientsA.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'k' } } }))).Item!.v).toEqual({ S: 'a' });
    expect((await clientsB.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'k' } } }))).Item!.v).toEqual({ S: 'b' });
    await expect(awsClients(url, { accessKeyId: a }).dynamodb.send(new DescribeTableCommand({ TableName: table }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
