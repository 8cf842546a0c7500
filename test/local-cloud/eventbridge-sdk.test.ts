import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  InvalidEventPatternException,
  LimitExceededException,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { admin, awsClients, uniqueAccount, uniqueName, type Credentials } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { simpleRotator } from '../support/simple-rotator.ts';
import { serveTestFunction, type TestFunction } from '../support/test-function.ts';

// EventBridge rules and targets in the local cloud, used through the real SDK clients: rules start
// state machines and invoke functions (as their resource policies allow), a rotation event resumes
// an execution waiting on a task token, events cross accounts under the target bus's policy, and
// IAM authorises rule operations on the rule's ARN.

const url = inject('cloudUrl');
const ACCOUNT = uniqueAccount();
const ROLE = `arn:aws:iam::${ACCOUNT}:role/events`;
const clients = awsClients(url, { accessKeyId: ACCOUNT });
const { events, sfn } = clients;
const functions: TestFunction[] = [];
afterAll(() => Promise.all(functions.map((f) => f.close())));

async function fn(account: string, handler: (event: unknown) => Promise<unknown>): Promise<TestFunction> {
  const f = await serveTestFunction(url, uniqueName('eb-fn').slice(0, 60), handler, { account });
  functions.push(f);
  return f;
}

/** What `aws lambda add-permission` (or CDK's LambdaFunction target) grants a rule. */
async function allowRule(account: string, f: TestFunction, ruleArn: string): Promise<void> {
  await awsClients(url, { accessKeyId: account }).lambda.send(
    new AddPermissionCommand({ FunctionName: f.name, StatementId: uniqueName('events'), Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: ruleArn }),
  );
}

interface LocalDeliveries {
  queued: Array<{ rule: string; attempts: number; lastError?: string }>;
  deadLetters: Array<{ rule: string; target: { id: string; arn: string }; eventId: string; reason: string }>;
}
const deliveries = (account: string) => admin<LocalDeliveries>(url, `/_local/deliveries?account=${account}`);

describe('EventBridge rules through @aws-sdk/client-eventbridge', () => {
  it('manages rules and targets, raising the typed exceptions AWS documents', async () => {
    const fnArn = (id: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${id}`;
    const { RuleArn } = await events.send(new PutRuleCommand({ Name: 'sdk-rule', EventPattern: '{"source":["rcp"]}', Description: 'test' }));
    expect(RuleArn).toBe(`arn:aws:events:us-east-1:${ACCOUNT}:rule/sdk-rule`);
    expect(await events.send(new DescribeRuleCommand({ Name: 'sdk-rule' }))).toMatchObject({ Name: 'sdk-rule', State: 'ENABLED', EventBusName: 'default', CreatedBy: ACCOUNT });
    await events.send(new DisableRuleCommand({ Name: 'sdk-rule' }));
    expect((await events.send(new ListRulesCommand({ NamePrefix: 'sdk-' }))).Rules?.map((r) => [r.Name, r.State])).toEqual([['sdk-rule', 'DISABLED']]);
    const put = await events.send(new PutTargetsCommand({ Rule: 'sdk-rule', Targets: [{ Id: 'a', Arn: fnArn('a') }, { Id: 'q', Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:q` }] }));
    expect(put.FailedEntryCount).toBe(1);
    expect(put.FailedEntries?.[0]).toMatchObject({ TargetId: 'q', ErrorCode: 'ValidationException' });
    expect((await events.send(new ListTargetsByRuleCommand({ Rule: 'sdk-rule' }))).Targets?.map((t) => t.Id)).toEqual(['a']);
    await expect(events.send(new PutTargetsCommand({ Rule: 'sdk-rule', Targets: ['b', 'c', 'd', 'e', 'f'].map((id) => ({ Id: id, Arn: fnArn(id) })) }))).rejects.toBeInstanceOf(LimitExceededException);
    await expect(events.send(new DeleteRuleCommand({ Name: 'sdk-rule' }))).rejects.toThrow("Rule can't be deleted since it has targets.");
    await events.send(new RemoveTargetsCommand({ Rule: 'sdk-rule', Ids: ['a'] }));
    await events.send(new DeleteRuleCommand({ Name: 'sdk-rule' }));
    await expect(events.send(new DescribeRuleCommand({ Name: 'sdk-rule' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(events.send(new PutRuleCommand({ Name: 'elsewhere', EventBusName: 'no-such-bus', EventPattern: '{"source":["rcp"]}' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(events.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":[{"contains":"x"}]}' }))).rejects.toBeInstanceOf(InvalidEventPatternException);
    const event = { id: '1', account: ACCOUNT, source: 'rcp', time: '2026-01-05T10:00:00Z', region: 'us-east-1', 'detail-type': 'x', detail: {} };
    expect((await events.send(new TestEventPatternCommand({ EventPattern: '{"source":["rcp"]}', Event: JSON.stringify(event) }))).Result).toBe(true);
  });

  it('deletes a bus with its rules and its policy', async () => {
    const bus = uniqueName('short-lived');
    await events.send(new CreateEventBusCommand({ Name: bus }));
    await events.send(new PutRuleCommand({ Name: 'on-bus', EventBusName: bus, EventPattern: '{"source":["rcp"]}' }));
    await events.send(new PutTargetsCommand({ Rule: 'on-bus', EventBusName: bus, Targets: [{ Id: 'fn', Arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:f` }] }));
    await events.send(new PutPermissionCommand({ EventBusName: bus, StatementId: 'anyone', Action: 'events:PutEvents', Principal: '*' }));
    await events.send(new DeleteEventBusCommand({ Name: bus }));
    await expect(events.send(new ListRulesCommand({ EventBusName: bus }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    // The same name again is a new bus: nothing of the old one comes back.
    await events.send(new CreateEventBusCommand({ Name: bus }));
    expect((await events.send(new ListRulesCommand({ EventBusName: bus }))).Rules).toEqual([]);
    expect((await events.send(new DescribeEventBusCommand({ Name: bus }))).Policy).toBeUndefined();
  });

  it('starts a state machine with the matched event as its input', async () => {
    const definition = JSON.stringify({ StartAt: 'Take', States: { Take: { Type: 'Pass', InputPath: '$.detail', End: true } } });
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: uniqueName('on-event'), definition, roleArn: ROLE }));
    await events.send(new PutRuleCommand({ Name: 'start-machine', EventPattern: '{"source":["rcp.test"]}' }));
    await events.send(new PutTargetsCommand({ Rule: 'start-machine', Targets: [{ Id: 'sfn', Arn: stateMachineArn!, RoleArn: ROLE }] }));
    const { Entries } = await events.send(new PutEventsCommand({ Entries: [{ Source: 'rcp.test', DetailType: 'Test', Detail: '{"n":1}' }] }));
    const execution = await eventually('an execution', async () => (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions?.[0]);
    const done = await eventually('it to succeed', async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      return d.status === 'SUCCEEDED' ? d : undefined;
    });
    expect(JSON.parse(done.output!)).toEqual({ n: 1 });
    expect(JSON.parse(done.input!)).toMatchObject({ id: Entries![0]!.EventId, source: 'rcp.test', 'detail-type': 'Test', account: ACCOUNT, region: 'us-east-1' });
  });

  it('invokes a function target only when its resource policy lets EventBridge invoke it for that rule', async () => {
    const received: unknown[] = [];
    const target = await fn(ACCOUNT, async (event) => void received.push(event));
    const { RuleArn: granted } = await events.send(new PutRuleCommand({ Name: 'granted', EventPattern: '{"source":["rcp.granted"]}' }));
    const { RuleArn: refused } = await events.send(new PutRuleCommand({ Name: 'refused', EventPattern: '{"source":["rcp.refused"]}' }));
    await allowRule(ACCOUNT, target, granted!);
    for (const rule of ['granted', 'refused']) await events.send(new PutTargetsCommand({ Rule: rule, Targets: [{ Id: 'fn', Arn: target.arn, InputPath: '$.detail' }] }));
    await events.send(new PutEventsCommand({ Entries: [{ Source: 'rcp.refused', DetailType: 'T', Detail: '{"n":1}' }, { Source: 'rcp.granted', DetailType: 'T', Detail: '{"n":2}' }] }));
    await eventually('the granted delivery', async () => (received.length ? true : undefined));
    const dead = await eventually('the refused delivery to be given up', async () => (await deliveries(ACCOUNT)).deadLetters.find((d) => d.rule === refused));
    expect(received).toEqual([{ n: 2 }]);
    expect(dead).toMatchObject({ target: { id: 'fn', arn: target.arn }, reason: expect.stringContaining('AccessDeniedException') });
  });

  it('resumes an execution waiting on a task token when the rotation event arrives', async () => {
    const tokens = new Map<string, string>();
    const awaitRotation = await fn(ACCOUNT, async (payload) => void tokens.set((payload as { secret: string }).secret, (payload as { token: string }).token));
    const rotationFinished = await fn(ACCOUNT, async (payload) => {
      const { secret, eventName } = payload as { secret: string; eventName: string };
      await sfn.send(new SendTaskSuccessCommand({ taskToken: tokens.get(secret)!, output: JSON.stringify({ status: eventName }) }));
    });
    const definition = JSON.stringify({
      StartAt: 'AwaitFirstRotation',
      States: {
        AwaitFirstRotation: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: awaitRotation.name, Payload: { 'token.$': '$$.Task.Token', 'secret.$': '$.secret' } },
          ResultPath: '$.firstRotation',
          End: true,
        },
      },
    });
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: uniqueName('onboarding-callback'), definition, roleArn: ROLE }));
    const { RuleArn } = await events.send(
      new PutRuleCommand({ Name: 'rotation-outcomes', EventPattern: JSON.stringify({ source: ['rcp.rotation'], detail: { eventName: ['RotationSucceeded', 'RotationFailed'] } }) }),
    );
    await allowRule(ACCOUNT, rotationFinished, RuleArn!);
    await events.send(new PutTargetsCommand({ Rule: 'rotation-outcomes', Targets: [{ Id: 'resume', Arn: rotationFinished.arn, InputPath: '$.detail' }] }));

    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"secret":"demo/postgres"}' }));
    await eventually('the token to be registered', async () => tokens.get('demo/postgres'));
    await events.send(new PutEventsCommand({ Entries: [{ Source: 'rcp.rotation', DetailType: 'Rotation', Detail: JSON.stringify({ eventName: 'RotationSucceeded', secret: 'demo/postgres' }) }] }));
    const done = await eventually('the onboarding to finish', async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status === 'RUNNING' ? undefined : d;
    });
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ secret: 'demo/postgres', firstRotation: { status: 'RotationSucceeded' } });
  });
});

describe('the services\' own events', () => {
  it('routes Secrets Manager\'s rotation outcomes through the rules of the secret\'s account', async () => {
    const rotator = await fn(ACCOUNT, simpleRotator(clients.sm).handler);
    await clients.lambda.send(new AddPermissionCommand({ FunctionName: rotator.name, StatementId: 'sm', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com', SourceAccount: ACCOUNT }));
    const outcomes: Array<{ eventName: string; secretId: string }> = [];
    const compliance = await fn(ACCOUNT, async (event) => void outcomes.push(event as { eventName: string; secretId: string }));
    const { RuleArn } = await events.send(
      new PutRuleCommand({ Name: 'rotation-outcomes-sm', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'], detail: { eventName: ['RotationSucceeded', 'RotationFailed'] } }) }),
    );
    await allowRule(ACCOUNT, compliance, RuleArn!);
    await events.send(
      new PutTargetsCommand({
        Rule: 'rotation-outcomes-sm',
        Targets: [{ Id: 'compliance', Arn: compliance.arn, InputTransformer: { InputPathsMap: { name: '$.detail.eventName', secret: '$.detail.additionalEventData.SecretId' }, InputTemplate: '{"eventName": <name>, "secretId": <secret>}' } }],
      }),
    );
    const { ARN } = await clients.sm.send(new CreateSecretCommand({ Name: uniqueName('routed'), SecretString: '{"username":"app","password":"before"}' }));
    await clients.sm.send(new RotateSecretCommand({ SecretId: ARN, RotationLambdaARN: rotator.arn, RotationRules: { AutomaticallyAfterDays: 30 } }));
    await eventually('the rotation outcome at the rule\'s target', async () => (outcomes.length ? true : undefined));
    expect(outcomes).toEqual([{ eventName: 'RotationSucceeded', secretId: ARN }]);
  });
});

describe('events across accounts', () => {
  it('forwards a member account\'s events to the central bus its policy opens, where the central rules deliver them', async () => {
    const [central, member, outsider] = [uniqueAccount(), uniqueAccount(), uniqueAccount()];
    const c = awsClients(url, { accessKeyId: central });
    const { EventBusArn: centralBus } = await c.events.send(new CreateEventBusCommand({ Name: 'rcp-central' }));
    await c.events.send(new PutPermissionCommand({ EventBusName: 'rcp-central', StatementId: 'member', Action: 'events:PutEvents', Principal: member }));
    expect(JSON.parse((await c.events.send(new DescribeEventBusCommand({ Name: 'rcp-central' }))).Policy!)).toMatchObject({
      Statement: [{ Sid: 'member', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${member}:root` }, Action: 'events:PutEvents', Resource: centralBus }],
    });
    expect((await c.events.send(new ListEventBusesCommand({ NamePrefix: 'rcp-central' }))).EventBuses?.[0]?.Policy).toContain(member);
    const received: Array<{ account: string; detail: unknown }> = [];
    const compliance = await fn(central, async (event) => void received.push(event as { account: string; detail: unknown }));
    const { RuleArn: centralRule } = await c.events.send(new PutRuleCommand({ Name: 'evaluate', EventBusName: 'rcp-central', EventPattern: '{"source":["rcp.forwarded"]}' }));
    await allowRule(central, compliance, centralRule!);
    await c.events.send(new PutTargetsCommand({ Rule: 'evaluate', EventBusName: 'rcp-central', Targets: [{ Id: 'compliance', Arn: compliance.arn }] }));

    // The member stack's rule, and an outsider's with no permission on the central bus.
    for (const account of [member, outsider]) {
      const m = awsClients(url, { accessKeyId: account }).events;
      await m.send(new PutRuleCommand({ Name: 'forward', EventPattern: '{"source":["rcp.forwarded"]}' }));
      await m.send(new PutTargetsCommand({ Rule: 'forward', Targets: [{ Id: 'central', Arn: centralBus!, RoleArn: `arn:aws:iam::${account}:role/forwarder` }] }));
      await m.send(new PutEventsCommand({ Entries: [{ Source: 'rcp.forwarded', DetailType: 'Rotation', Detail: JSON.stringify({ from: account }) }] }));
    }
    await eventually('the member\'s event at the central function', async () => (received.length ? true : undefined));
    const dead = await eventually('the outsider\'s event refused', async () => (await deliveries(outsider)).deadLetters[0]);
    expect(received).toEqual([expect.objectContaining({ account: member, region: 'us-east-1', detail: { from: member } })]);
    expect(dead).toMatchObject({ target: { arn: centralBus }, reason: expect.stringContaining('AccessDeniedException') });
    // The forwarded event is kept on the central bus as it was sent.
    const { events: onCentral } = await admin<{ events: Array<{ account: string; 'event-bus-name': string }> }>(url, '/_local/events?bus=rcp-central');
    expect(onCentral.filter((e) => e.account === member)).toHaveLength(1);

    await c.events.send(new RemovePermissionCommand({ EventBusName: 'rcp-central', StatementId: 'member' }));
    expect((await c.events.send(new DescribeEventBusCommand({ Name: 'rcp-central' }))).Policy).toBeUndefined();
  });
});

describe('EventBridge rules and IAM', () => {
  it('lets a role session manage only the rules its policy names', async () => {
    const name = uniqueName('rules-role').slice(0, 60);
    await clients.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] }) }));
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['events:PutRule', 'events:DescribeRule', 'events:PutTargets'], Resource: `arn:aws:events:us-east-1:${ACCOUNT}:rule/team-*` }] };
    await clients.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'inline', PolicyDocument: JSON.stringify(policy) }));
    const { Credentials: cr } = await clients.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/${name}`, RoleSessionName: 'rules' }));
    const session = awsClients(url, { credentials: { accessKeyId: cr!.AccessKeyId!, secretAccessKey: cr!.SecretAccessKey!, sessionToken: cr!.SessionToken } as Credentials }).events;
    await session.send(new PutRuleCommand({ Name: 'team-a', EventPattern: '{"source":["rcp"]}' }));
    expect((await session.send(new DescribeRuleCommand({ Name: 'team-a' }))).Arn).toBe(`arn:aws:events:us-east-1:${ACCOUNT}:rule/team-a`);
    await expect(session.send(new PutRuleCommand({ Name: 'other', EventPattern: '{"source":["rcp"]}' }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`events:PutRule on resource: arn:aws:events:us-east-1:${ACCOUNT}:rule/other`),
    });
    await expect(session.send(new ListRulesCommand({}))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
