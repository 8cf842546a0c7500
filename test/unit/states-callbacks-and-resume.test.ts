import { describe, expect, it } from 'vitest';
import type { StatesRecord } from '../../infra/local/cloud/services/states/model.ts';
import { finished, fn, type Harness, history, historyTypes, ManualClock, MemoryJournal, startWith, statesHarnesses, until } from './states-fixtures.ts';

const harness = statesHarnesses();

const callbackDefinition = (extra: object = {}) => ({
  StartAt: 'AwaitRotation',
  States: {
    AwaitRotation: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token', 'secret.$': '$.secret' } },
      ResultPath: '$.rotation',
      End: true,
      ...extra,
    },
  },
});

/** An invoke that records the payloads it receives (each holds the task token). */
function recordingInvoke() {
  const payloads: Array<{ token: string; secret: string }> = [];
  return { payloads, invoke: async (_arn: string, payload: unknown) => (payloads.push(payload as { token: string; secret: string }), { payload: { accepted: true } }) };
}

describe('the callback pattern (lambda:invoke.waitForTaskToken)', () => {
  it('passes a task token in the payload and ends the task with the output SendTaskSuccess brings', async () => {
    const { payloads, invoke } = recordingInvoke();
    const h = await harness({ invoke });
    const arn = await startWith(h, callbackDefinition(), { secret: 'demo/postgres' });
    const { token } = await until('the function to receive the token', () => payloads[0]);
    expect(payloads[0]!.secret).toBe('demo/postgres');
    await until('the task to be submitted', async () => (await historyTypes(h, arn)).includes('TaskSubmitted'));
    expect((await h.call('DescribeExecution', { executionArn: arn })).status).toBe('RUNNING');
    await h.call('SendTaskSuccess', { taskToken: token, output: JSON.stringify({ status: 'succeeded' }) });
    const described = await finished(h, arn);
    expect(JSON.parse(described.output as string)).toEqual({ secret: 'demo/postgres', rotation: { status: 'succeeded' } });
    expect(await historyTypes(h, arn)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    // The token is spent: a second answer finds no task waiting on it.
    await expect(h.call('SendTaskSuccess', { taskToken: token, output: '{}' })).rejects.toMatchObject({ code: 'TaskTimedOut' });
  });

  it('fails the task with the error and cause SendTaskFailure brings', async () => {
    const { payloads, invoke } = recordingInvoke();
    const h = await harness({ invoke });
    const arn = await startWith(h, callbackDefinition(), { secret: 's' });
    const { token } = await until('the token', () => payloads[0]);
    await h.call('SendTaskFailure', { taskToken: token, error: 'RotationFailed', cause: 'setSecret: authentication failed' });
    expect(await finished(h, arn)).toMatchObject({ status: 'FAILED', error: 'RotationFailed', cause: 'setSecret: authentication failed' });
  });

  it('accepts an answer that arrives while the function is still being invoked', async () => {
    const self: { h?: Harness } = {};
    const h = await harness({
      invoke: async (_arn, payload) => {
        await self.h!.call('SendTaskSuccess', { taskToken: (payload as { token: string }).token, output: '"early"' });
        return { payload: null };
      },
    });
    self.h = h;
    const arn = await startWith(h, callbackDefinition(), { secret: 's' });
    const described = await finished(h, arn);
    expect(JSON.parse(described.output as string).rotation).toBe('early');
    expect(await historyTypes(h, arn)).not.toContain('TaskSubmitted');
  });

  it('fails with States.HeartbeatTimeout when no heartbeat comes within HeartbeatSeconds, and heartbeats keep it alive', async () => {
    const clock = new ManualClock();
    const { payloads, invoke } = recordingInvoke();
    const h = await harness({ invoke, clock });
    const arn = await startWith(h, callbackDefinition({ HeartbeatSeconds: 60, TimeoutSeconds: 3600 }), { secret: 's' });
    const { token } = await until('the token', () => payloads[0]);
    await until('the task to be submitted', async () => (await historyTypes(h, arn)).includes('TaskSubmitted'));
    clock.advance(50_000);
    await h.call('SendTaskHeartbeat', { taskToken: token });
    clock.advance(50_000);
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.call('DescribeExecution', { executionArn: arn })).status).toBe('RUNNING');
    clock.advance(11_000);
    expect(await finished(h, arn)).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    const timedOut = (await history(h, arn)).find((e) => e.type === 'TaskTimedOut');
    expect(timedOut).toMatchObject({ taskTimedOutEventDetails: { resource: 'invoke.waitForTaskToken', error: 'States.HeartbeatTimeout' } });
    await expect(h.call('SendTaskSuccess', { taskToken: token, output: '{}' })).rejects.toMatchObject({ code: 'TaskTimedOut' });
  });

  it('answers a malformed token with InvalidToken and a token of no known execution with TaskDoesNotExist', async () => {
    const h = await harness({});
    await expect(h.call('SendTaskSuccess', { taskToken: 'not-a-token', output: '{}' })).rejects.toMatchObject({ code: 'InvalidToken' });
    const foreign = Buffer.from(JSON.stringify({ e: 'arn:aws:states:eu-west-1:111122223333:execution:m:gone', n: 'x' })).toString('base64url');
    await expect(h.call('SendTaskFailure', { taskToken: foreign })).rejects.toMatchObject({ code: 'TaskDoesNotExist' });
    await expect(h.call('SendTaskHeartbeat', { taskToken: foreign })).rejects.toMatchObject({ code: 'TaskDoesNotExist' });
  });

  it('refuses output that is not JSON with InvalidOutput', async () => {
    const { payloads, invoke } = recordingInvoke();
    const h = await harness({ invoke });
    await startWith(h, callbackDefinition(), { secret: 's' });
    const { token } = await until('the token', () => payloads[0]);
    await expect(h.call('SendTaskSuccess', { taskToken: token, output: 'nope' })).rejects.toMatchObject({ code: 'InvalidOutput' });
  });
});

describe('resuming after a restart', () => {
  it('re-runs the Task the execution was in, with the input it entered with; the history shows both attempts', async () => {
    const journal = new MemoryJournal<StatesRecord>();
    const first = await harness({ journal, invoke: () => new Promise(() => undefined) });
    const arn = await startWith(first, {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Result: 'prepared', ResultPath: '$.prepared', Next: 'Work' },
        Work: { Type: 'Task', Resource: fn('work'), ResultPath: '$.work', End: true },
      },
    }, { id: 7 });
    await until('the function to be started', async () => (await historyTypes(first, arn)).includes('LambdaFunctionStarted'));
    await first.engine.stop();

    const inputs: unknown[] = [];
    const second = await harness({ journal, invoke: async (_arn, payload) => (inputs.push(payload), { payload: 'done' }) });
    const described = await finished(second, arn);
    expect(JSON.parse(described.output as string)).toEqual({ id: 7, prepared: 'prepared', work: 'done' });
    expect(inputs).toEqual([{ id: 7, prepared: 'prepared' }]);
    const types = await historyTypes(second, arn);
    expect(types.filter((t) => t === 'LambdaFunctionScheduled')).toHaveLength(2);
    expect(types.filter((t) => t === 'TaskStateEntered')).toHaveLength(1);
    expect(types.filter((t) => t === 'PassStateEntered')).toHaveLength(1);
  });

  it('waits only what remained of a Wait state', async () => {
    const journal = new MemoryJournal<StatesRecord>();
    const clock = new ManualClock();
    const timing = { waitScale: 1, retryScale: 1 };
    const first = await harness({ journal, clock, timing });
    const arn = await startWith(first, { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 600, Next: 'Done' }, Done: { Type: 'Succeed' } } });
    await until('the wait to start', async () => (await historyTypes(first, arn)).includes('WaitStateEntered'));
    clock.advance(400_000);
    await first.engine.stop();

    const second = await harness({ journal, clock, timing });
    clock.advance(150_000);
    await new Promise((r) => setTimeout(r, 300));
    expect((await second.call('DescribeExecution', { executionArn: arn })).status).toBe('RUNNING');
    clock.advance(50_000);
    expect((await finished(second, arn)).status).toBe('SUCCEEDED');
    expect((await historyTypes(second, arn)).filter((t) => t === 'WaitStateEntered')).toHaveLength(1);
  });

  it('keeps a waiting task token valid across a restart, without invoking the function again', async () => {
    const journal = new MemoryJournal<StatesRecord>();
    const { payloads, invoke } = recordingInvoke();
    const first = await harness({ journal, invoke });
    const arn = await startWith(first, callbackDefinition(), { secret: 's' });
    const { token } = await until('the token', () => payloads[0]);
    await until('the task to be submitted', async () => (await historyTypes(first, arn)).includes('TaskSubmitted'));
    await first.engine.stop();

    const second = await harness({ journal, invoke });
    await second.call('SendTaskSuccess', { taskToken: token, output: '"after restart"' });
    const described = await finished(second, arn);
    expect(JSON.parse(described.output as string).rotation).toBe('after restart');
    expect(payloads).toHaveLength(1);
  });

  it('finishes from the transition after the last exited state', async () => {
    const journal = new MemoryJournal<StatesRecord>();
    let calls = 0;
    const first = await harness({ journal, invoke: async () => (calls++, { payload: 1 }) });
    const arn = await startWith(first, {
      StartAt: 'One',
      States: { One: { Type: 'Task', Resource: fn('one'), ResultPath: '$.one', Next: 'Two' }, Two: { Type: 'Pass', End: true } },
    });
    await finished(first, arn);
    // Cut the journal back to just after One exited, as a crash between two writes would leave it.
    const exitIndex = journal.records.findIndex((r) => r.kind === 'event' && r.event.type === 'TaskStateExited');
    journal.records = journal.records.slice(0, exitIndex + 1);
    await first.engine.stop();

    const second = await harness({ journal, invoke: async () => (calls++, { payload: 2 }) });
    const described = await finished(second, arn);
    expect(JSON.parse(described.output as string)).toEqual({ one: 1 });
    expect(calls).toBe(1);
  });

  it('keeps an ABORTED execution stopped after a restart', async () => {
    const journal = new MemoryJournal<StatesRecord>();
    const first = await harness({ journal, invoke: () => new Promise(() => undefined) });
    const arn = await startWith(first, { StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: fn('slow'), End: true } } });
    await until('the function to be started', async () => (await historyTypes(first, arn)).includes('LambdaFunctionStarted'));
    await first.call('StopExecution', { executionArn: arn });
    await first.engine.stop();
    let invoked = false;
    const second = await harness({ journal, invoke: async () => ((invoked = true), { payload: null }) });
    await new Promise((r) => setTimeout(r, 100));
    expect((await second.call('DescribeExecution', { executionArn: arn })).status).toBe('ABORTED');
    expect(invoked).toBe(false);
  });
});
