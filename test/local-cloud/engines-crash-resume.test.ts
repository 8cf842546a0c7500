import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskTimedOut,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { admin, awsClients, uniqueName } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';
import { serveTestFunction, type TestFunction } from '../support/test-function.ts';

// The local cloud killed with SIGKILL while Step Functions executions and EventBridge deliveries
// are under way: after a restart on the same state folder, each execution resumes where its
// history says (a task runs again, a wait waits only what remains, a callback token stays valid)
// and each event a rule matched is delivered once.

const ROLE = 'arn:aws:iam::000000000000:role/states';
const DELIVERIES = 'accounts/000000000000/us-east-1/eventbridge/deliveries.jsonl';
const processes: CloudProcess[] = [];
const functions: TestFunction[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await Promise.all(functions.map((f) => f.close()));
});

async function start(stateDir: string, port: number, env: Record<string, string> = {}): Promise<{ cloud: CloudProcess; clients: ReturnType<typeof awsClients> }> {
  const cloud = await startCloudProcess({ stateDir, port, env });
  processes.push(cloud);
  return { cloud, clients: awsClients(cloud.url) };
}

async function kill(cloud: CloudProcess): Promise<void> {
  await cloud.kill();
  processes.splice(processes.indexOf(cloud), 1);
}

async function fn(cloudUrl: string, handler: (event: unknown) => Promise<unknown>): Promise<TestFunction> {
  const f = await serveTestFunction(cloudUrl, uniqueName('crash-fn').slice(0, 60), handler, { timeoutSeconds: 30 });
  functions.push(f);
  return f;
}

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
}

const reached = (sfn: SFNClient, executionArn: string, type: string) => async () => ((await history(sfn, executionArn)).some((e) => e.type === type) ? true : undefined);

async function finished(sfn: SFNClient, executionArn: string, timeoutMs = 20_000) {
  return eventually(
    'the execution to finish',
    async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status === 'RUNNING' ? undefined : d;
    },
    timeoutMs,
  );
}

describe('Step Functions executions survive kill -9', () => {
  it('resumes an execution killed mid-task and again mid-wait, and completes it', async () => {
    const stateDir = await tempStateDir('states-crash');
    // Waits as written: the wait must still be running when the cloud is killed.
    const env = { LOCAL_CLOUD_WAIT_SCALE: '1' };
    let { cloud, clients } = await start(stateDir, 0, env);
    const port = Number(new URL(cloud.url).port);
    const invoked: string[] = [];
    const slow = await fn(cloud.url, async () => {
      invoked.push('slow');
      await new Promise((r) => setTimeout(r, 1500));
      return { from: 'slow' };
    });
    const after = await fn(cloud.url, async () => (invoked.push('after'), { from: 'after' }));
    const definition = {
      StartAt: 'Slow',
      States: {
        Slow: { Type: 'Task', Resource: slow.arn, ResultPath: '$.slow', Next: 'Pause' },
        Pause: { Type: 'Wait', Seconds: 3, Next: 'After' },
        After: { Type: 'Task', Resource: after.arn, ResultPath: '$.after', End: true },
      },
    };
    const { stateMachineArn } = await clients.sfn.send(new CreateStateMachineCommand({ name: 'crashy', definition: JSON.stringify(definition), roleArn: ROLE }));
    const { executionArn } = await clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1', input: '{"id":"onb-1"}' }));

    // Mid-task: the function is running when the cloud dies.
    await eventually('the slow task to run', async () => (invoked.length ? true : undefined));
    await kill(cloud);
    ({ cloud, clients } = await start(stateDir, port, env));

    await eventually('the wait to start', reached(clients.sfn, executionArn!, 'WaitStateEntered'), 15_000);
    await kill(cloud);
    ({ clients } = await start(stateDir, port, env));
    const restarted = Date.now();

    const described = await finished(clients.sfn, executionArn!);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual({ id: 'onb-1', slow: { from: 'slow' }, after: { from: 'after' } });
    const events = await history(clients.sfn, executionArn!);
    // The wait was not started over: it waited only what remained of its 3 s, and a restart takes
    // a good part of that (the cloud's clock is the wall clock here).
    const entered = events.find((e) => e.type === 'WaitStateEntered')!.timestamp!.getTime();
    const exited = events.find((e) => e.type === 'WaitStateExited')!.timestamp!.getTime();
    expect(exited - entered).toBeGreaterThanOrEqual(3000);
    expect(exited - restarted).toBeLessThan(2500);

    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'TaskStateEntered')).toHaveLength(2);
    expect(types.filter((t) => t === 'LambdaFunctionScheduled')).toHaveLength(3);
    expect(types.filter((t) => t === 'WaitStateEntered')).toHaveLength(1);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    // The task the crash interrupted ran again; nothing else ran twice.
    expect(invoked).toEqual(['slow', 'slow', 'after']);
    // The name stays taken after the restart.
    await expect(clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1', input: '{"id":"onb-1"}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });
});

describe('callbacks and deliveries survive kill -9', () => {
  it('keeps a task token valid, and delivers each matched event once, across a restart', async () => {
    const stateDir = await tempStateDir('engines-crash');
    // Lambda's asynchronous retries (1 and 2 minutes) compressed to 1.2 s and 2.4 s.
    const env = { LOCAL_CLOUD_RETRY_SCALE: '0.02' };
    let { cloud, clients } = await start(stateDir, 0, env);
    const port = Number(new URL(cloud.url).port);

    // A callback task waiting on its token.
    const tokens: string[] = [];
    const notify = await fn(cloud.url, async (event) => void tokens.push((event as { token: string }).token));
    const callback = {
      StartAt: 'Await',
      States: { Await: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: notify.name, Payload: { 'token.$': '$$.Task.Token' } }, End: true } },
    };
    const { stateMachineArn: callbackMachine } = await clients.sfn.send(new CreateStateMachineCommand({ name: 'callback', definition: JSON.stringify(callback), roleArn: ROLE }));
    const { executionArn: waiting } = await clients.sfn.send(new StartExecutionCommand({ stateMachineArn: callbackMachine, input: '{}' }));
    await eventually('the task to be submitted', reached(clients.sfn, waiting!, 'TaskSubmitted'));

    // A rule whose function target fails until after the crash.
    let accepting = false;
    let failures = 0;
    const received: unknown[] = [];
    const compliance = await fn(cloud.url, async (event) => {
      if (!accepting) {
        failures += 1;
        throw Object.assign(new Error('not yet'), { name: 'Unavailable' });
      }
      received.push(event);
    });
    const { RuleArn: rotationsRule } = await clients.events.send(new PutRuleCommand({ Name: 'rotations', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) }));
    await clients.lambda.send(new AddPermissionCommand({ FunctionName: compliance.name, StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: rotationsRule }));
    await clients.events.send(new PutTargetsCommand({ Rule: 'rotations', Targets: [{ Id: 'compliance', Arn: compliance.arn, InputPath: '$.detail' }] }));
    await clients.events.send(new PutEventsCommand({ Entries: [{ Source: 'aws.secretsmanager', DetailType: 'AWS Service Event via CloudTrail', Detail: '{"eventName":"RotationSucceeded"}' }] }));
    await eventually('a failed attempt', async () => (failures >= 1 ? true : undefined));

    // A rule starting a state machine, with events put just before the crash: some deliveries are
    // under way when it hits.
    const record = { StartAt: 'Record', States: { Record: { Type: 'Pass', End: true } } };
    const { stateMachineArn: recorder } = await clients.sfn.send(new CreateStateMachineCommand({ name: 'recorder', definition: JSON.stringify(record), roleArn: ROLE }));
    await clients.events.send(new PutRuleCommand({ Name: 'onboardings', EventPattern: JSON.stringify({ source: ['rcp.onboarding'] }) }));
    await clients.events.send(new PutTargetsCommand({ Rule: 'onboardings', Targets: [{ Id: 'recorder', Arn: recorder!, RoleArn: ROLE }] }));
    const put = await clients.events.send(
      new PutEventsCommand({ Entries: Array.from({ length: 5 }, (_, n) => ({ Source: 'rcp.onboarding', DetailType: 'Onboarding Requested', Detail: JSON.stringify({ n }) })) }),
    );
    const eventIds = put.Entries!.map((e) => e.EventId);

    await kill(cloud);
    accepting = true;
    ({ cloud, clients } = await start(stateDir, port, env));

    // The token from before the crash still completes the task; the function was invoked once.
    await clients.sfn.send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{"rotated":true}' }));
    expect(await finished(clients.sfn, waiting!)).toMatchObject({ status: 'SUCCEEDED', output: '{"rotated":true}' });
    expect(tokens).toHaveLength(1);
    await expect(clients.sfn.send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);

    // The failing delivery is retried after the restart and arrives once.
    await eventually('the retried delivery', async () => (received.length ? true : undefined), 15_000);
    // Every onboarding event started exactly one execution, whether its delivery was done, under way or queued at the crash.
    const executions = await eventually('an execution per event', async () => {
      const listed = (await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: recorder }))).executions ?? [];
      return listed.length >= eventIds.length ? listed : undefined;
    });
    await admin(cloud.url, '/_local/scheduler/tick?wait=true', { body: {} });
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toEqual([{ eventName: 'RotationSucceeded' }]);
    const inputs = await Promise.all(executions.map(async (e) => JSON.parse((await clients.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }))).input!) as { id: string }));
    expect(inputs.map((i) => i.id).sort()).toEqual([...eventIds].sort());
    expect((await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: recorder }))).executions).toHaveLength(eventIds.length);
    expect(await admin(cloud.url, '/_local/deliveries')).toEqual({ queued: [], deadLetters: [] });

    // The rules and targets came back from the journal too: a new event is delivered by the restarted cloud.
    await clients.events.send(new PutEventsCommand({ Entries: [{ Source: 'aws.secretsmanager', DetailType: 'AWS Service Event via CloudTrail', Detail: '{"eventName":"RotationFailed"}' }] }));
    await eventually('the second delivery', async () => (received.length === 2 ? true : undefined));
  });

  it('starts no second execution for a delivery the crash cut off after it started the first', async () => {
    const stateDir = await tempStateDir('delivery-window');
    let { cloud, clients } = await start(stateDir, 0);
    const port = Number(new URL(cloud.url).port);
    const record = { StartAt: 'Record', States: { Record: { Type: 'Pass', End: true } } };
    const { stateMachineArn } = await clients.sfn.send(new CreateStateMachineCommand({ name: 'once', definition: JSON.stringify(record), roleArn: ROLE }));
    await clients.events.send(new PutRuleCommand({ Name: 'once', EventPattern: JSON.stringify({ source: ['rcp.once'] }) }));
    await clients.events.send(new PutTargetsCommand({ Rule: 'once', Targets: [{ Id: 'machine', Arn: stateMachineArn!, RoleArn: ROLE }] }));
    await clients.events.send(new PutEventsCommand({ Entries: [{ Source: 'rcp.once', DetailType: 'Once', Detail: '{}' }] }));
    await eventually('the execution', async () => ((await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions?.length ? true : undefined));
    await eventually('the delivery to be recorded', async () => ((await readFile(join(stateDir, DELIVERIES), 'utf8')).includes('"kind":"delivered"') ? true : undefined));
    await kill(cloud);
    // What a crash between starting the execution and recording the delivery leaves: the delivery still queued.
    const journal = (await readFile(join(stateDir, DELIVERIES), 'utf8')).split('\n').filter((line) => !line.includes('"kind":"delivered"'));
    await writeFile(join(stateDir, DELIVERIES), journal.join('\n'));

    ({ cloud, clients } = await start(stateDir, port));
    await eventually('the delivery to be done again', async () => ((await admin<{ queued: unknown[] }>(cloud.url, '/_local/deliveries')).queued.length === 0 ? true : undefined));
    expect((await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions).toHaveLength(1);
    expect((await admin<{ deadLetters: unknown[] }>(cloud.url, '/_local/deliveries')).deadLetters).toEqual([]);
  });

  it('fires a scheduled rule when the cloud\'s clock reaches it', async () => {
    const { cloud, clients } = await start(await tempStateDir('schedule'), 0);
    const record = { StartAt: 'Record', States: { Record: { Type: 'Pass', End: true } } };
    const { stateMachineArn } = await clients.sfn.send(new CreateStateMachineCommand({ name: 'nightly', definition: JSON.stringify(record), roleArn: ROLE }));
    const { RuleArn } = await clients.events.send(new PutRuleCommand({ Name: 'every-5-minutes', ScheduleExpression: 'rate(5 minutes)' }));
    await clients.events.send(new PutTargetsCommand({ Rule: 'every-5-minutes', Targets: [{ Id: 'nightly', Arn: stateMachineArn!, RoleArn: ROLE }] }));
    await admin(cloud.url, '/_local/scheduler/tick?wait=true', { body: {} });
    expect((await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions).toEqual([]);

    await admin(cloud.url, '/_local/clock', { body: { advanceSeconds: 301 } });
    await admin(cloud.url, '/_local/scheduler/tick?wait=true', { body: {} });
    const [execution] = await eventually('the scheduled execution', async () => {
      const listed = (await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
      return listed.length ? listed : undefined;
    });
    const input = JSON.parse((await clients.sfn.send(new DescribeExecutionCommand({ executionArn: execution!.executionArn }))).input!) as Record<string, unknown>;
    expect(input).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', resources: [RuleArn], detail: {} });
  });
});
