import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidDefinition,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskTimedOut,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { awsClients, uniqueAccount, uniqueName, type Credentials } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { serveTestFunction, type TestFunction } from '../support/test-function.ts';

// Step Functions in the local cloud as @aws-sdk/client-sfn sees it: shapes it parses (dates,
// nested details), errors it raises as its typed exceptions, Lambda tasks run by the cloud's
// Lambda, callbacks, and IAM on the resources AWS authorises each action on.

const url = inject('cloudUrl');
const ACCOUNT = uniqueAccount();
const ROLE = `arn:aws:iam::${ACCOUNT}:role/states`;
const clients = awsClients(url, { accessKeyId: ACCOUNT });
const sfn = clients.sfn;
const functions: TestFunction[] = [];
const releases: Array<() => void> = [];
afterAll(async () => {
  for (const release of releases) release();
  await Promise.all(functions.map((f) => f.close()));
});

async function fn(handler: (event: unknown) => Promise<unknown>): Promise<TestFunction> {
  const f = await serveTestFunction(url, uniqueName('sfn-fn').slice(0, 60), handler, { account: ACCOUNT });
  functions.push(f);
  return f;
}

async function machine(definition: object, client: SFNClient = sfn): Promise<string> {
  const { stateMachineArn } = await client.send(new CreateStateMachineCommand({ name: uniqueName('m').slice(0, 80), definition: JSON.stringify(definition), roleArn: ROLE }));
  return stateMachineArn!;
}

async function finished(executionArn: string, client: SFNClient = sfn): Promise<DescribeExecutionCommandOutput> {
  return eventually('the execution to finish', async () => {
    const d = await client.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  });
}

describe('Step Functions through @aws-sdk/client-sfn', () => {
  it('creates, describes and lists machines, and runs a Lambda task, with dates the SDK turns into Date objects', async () => {
    const double = await fn(async (event) => ({ doubled: (event as { n: number }).n * 2 }));
    const definition = JSON.stringify({ StartAt: 'Double', States: { Double: { Type: 'Task', Resource: double.arn, ResultPath: '$.result', End: true } } });
    const name = uniqueName('sdk');
    const { stateMachineArn, creationDate } = await sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE }));
    expect(stateMachineArn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`);
    expect(creationDate).toBeInstanceOf(Date);
    expect(await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).toMatchObject({ name, status: 'ACTIVE', type: 'STANDARD', definition, roleArn: ROLE });
    expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.map((m) => m.name)).toContain(name);

    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'first', input: '{"n":21}' }));
    expect(executionArn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:execution:${name}:first`);
    const done = await finished(executionArn!);
    expect(done).toMatchObject({ status: 'SUCCEEDED', stateMachineArn });
    expect(done.startDate).toBeInstanceOf(Date);
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(done.output!)).toEqual({ n: 21, result: { doubled: 42 } });
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(events?.[0]).toMatchObject({ type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: done.output } });
    expect(events?.map((e) => e.type)).toContain('LambdaFunctionSucceeded');
    expect(events?.at(-1)).toMatchObject({ type: 'ExecutionStarted', executionStartedEventDetails: { roleArn: ROLE } });
    // The same name again while it is closed: AWS's conflict.
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'first', input: '{"n":21}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('raises the typed exceptions AWS documents', async () => {
    await expect(sfn.send(new CreateStateMachineCommand({ name: uniqueName('bad'), definition: '{"StartAt":"X","States":{}}', roleArn: ROLE }))).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:none` }))).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'not-an-arn' }))).rejects.toBeInstanceOf(InvalidArn);
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:none:x` }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken: 'bogus' }))).rejects.toBeInstanceOf(InvalidToken);
  });

  it('fails a task whose function does not exist with Lambda.ResourceNotFoundException', async () => {
    const stateMachineArn = await machine({ StartAt: 'T', States: { T: { Type: 'Task', Resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:nowhere`, End: true } } });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    expect(await finished(executionArn!)).toMatchObject({ status: 'FAILED', error: 'Lambda.ResourceNotFoundException' });
  });

  it('stops a running execution and lists it as ABORTED', async () => {
    const hang = await fn(() => new Promise((resolve) => releases.push(() => resolve(null))));
    const stateMachineArn = await machine({ StartAt: 'T', States: { T: { Type: 'Task', Resource: hang.arn, End: true } } });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'to-stop' }));
    await eventually('the task to start', async () => ((await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events?.some((e) => e.type === 'LambdaFunctionStarted') ? true : undefined));
    const { stopDate } = await sfn.send(new StopExecutionCommand({ executionArn, error: 'Offboarded', cause: 'the team removed it' }));
    expect(stopDate).toBeInstanceOf(Date);
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED', error: 'Offboarded', cause: 'the team removed it' });
    const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'ABORTED' }));
    expect(executions?.map((e) => [e.name, e.status])).toEqual([['to-stop', 'ABORTED']]);
    // A machine with nothing running goes at once.
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
    await expect(sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('waits for a callback: the token reaches the function, SendTaskHeartbeat and SendTaskSuccess resume it', async () => {
    const tokens: string[] = [];
    const notify = await fn(async (event) => void tokens.push((event as { token: string }).token));
    const stateMachineArn = await machine({
      StartAt: 'Await',
      States: {
        Await: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: notify.name, Payload: { 'token.$': '$$.Task.Token' } },
          HeartbeatSeconds: 60,
          ResultPath: '$.callback',
          End: true,
        },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"secret":"demo"}' }));
    const token = await eventually('the token', async () => tokens[0]);
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"rotated":true}' }));
    expect(JSON.parse((await finished(executionArn!)).output!)).toEqual({ secret: 'demo', callback: { rotated: true } });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('runs a Wait shortened by the cloud\'s timing (waitScale 0.05 by default)', async () => {
    const stateMachineArn = await machine({ StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 20, End: true } } });
    const started = Date.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    expect((await finished(executionArn!)).status).toBe('SUCCEEDED');
    // 20 s as written, 1 s as run.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('Step Functions and IAM', () => {
  const sessionFor = async (policy: object): Promise<SFNClient> => {
    const name = uniqueName('sfn-role').slice(0, 60);
    await clients.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] }) }));
    await clients.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'inline', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [policy] }) }));
    const { Credentials: c } = await clients.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/${name}`, RoleSessionName: 'test' }));
    return awsClients(url, { credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken } as Credentials }).sfn;
  };

  it('lets a role session start and read executions only of the machines its policy names', async () => {
    const allowed = await machine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const other = await machine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const executionsOf = (arn: string) => `${arn.replace(':stateMachine:', ':execution:')}:*`;
    const session = await sessionFor({ Effect: 'Allow', Action: ['states:StartExecution', 'states:DescribeExecution'], Resource: [allowed, executionsOf(allowed)] });
    const { executionArn } = await session.send(new StartExecutionCommand({ stateMachineArn: allowed }));
    expect((await finished(executionArn!, session)).status).toBe('SUCCEEDED');
    await expect(session.send(new StartExecutionCommand({ stateMachineArn: other }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`not authorized to perform: states:StartExecution on resource: ${other}`),
    });
    await expect(session.send(new ListStateMachinesCommand({}))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // Creating a machine also needs iam:PassRole on its role.
    await expect(session.send(new CreateStateMachineCommand({ name: uniqueName('nope'), definition: '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}', roleArn: ROLE }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('authorises SendTask* on the state machine the token\'s execution belongs to', async () => {
    const tokens: string[] = [];
    const notify = await fn(async (event) => void tokens.push((event as { token: string }).token));
    const definition = {
      StartAt: 'Await',
      States: { Await: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: notify.arn, Payload: { 'token.$': '$$.Task.Token' } }, End: true } },
    };
    const granted = await machine(definition);
    const elsewhere = await machine(definition);
    const session = await sessionFor({ Effect: 'Allow', Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], Resource: granted });
    const { executionArn: refusedRun } = await sfn.send(new StartExecutionCommand({ stateMachineArn: elsewhere }));
    const refusedToken = await eventually('the first token', async () => tokens[0]);
    await expect(session.send(new SendTaskSuccessCommand({ taskToken: refusedToken, output: '{}' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: granted }));
    const token = await eventually('the second token', async () => tokens[1]);
    await session.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
    expect((await finished(executionArn!)).status).toBe('SUCCEEDED');
    await sfn.send(new StopExecutionCommand({ executionArn: refusedRun }));
  });

  it('keeps another account\'s executions out of reach', async () => {
    const stateMachineArn = await machine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    const outsider = awsClients(url, { accessKeyId: uniqueAccount() }).sfn;
    await expect(outsider.send(new DescribeExecutionCommand({ executionArn }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(outsider.send(new StartExecutionCommand({ stateMachineArn }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
