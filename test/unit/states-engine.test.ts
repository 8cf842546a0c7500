import { describe, expect, it } from 'vitest';
import type { StatesRecord } from '../../infra/local/cloud/services/states/model.ts';
import { finished, fn, history, historyTypes, ManualClock, MemoryJournal, startWith, statesHarnesses, until } from './states-fixtures.ts';

const harness = statesHarnesses();

const lambdaTask = (name: string, extra: object = {}) => ({ Type: 'Task', Resource: fn(name), ...extra });

describe('running a definition', () => {
  it('runs Task, Choice, Pass and Succeed states with the library, recording the history AWS shows', async () => {
    const calls: Array<[string, unknown]> = [];
    const h = await harness({
      invoke: async (arn, payload) => {
        calls.push([arn, payload]);
        return { payload: { doubled: (payload as { n: number }).n * 2 } };
      },
    });
    const arn = await startWith(h, {
      StartAt: 'Double',
      States: {
        Double: lambdaTask('double', { ResultPath: '$.result', Next: 'Big?' }),
        'Big?': { Type: 'Choice', Choices: [{ Variable: '$.result.doubled', NumericGreaterThan: 5, Next: 'Big' }], Default: 'Small' },
        Big: { Type: 'Pass', Result: 'big', ResultPath: '$.size', Next: 'Done' },
        Small: { Type: 'Pass', Result: 'small', ResultPath: '$.size', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    }, { n: 4 });
    const described = await finished(h, arn);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output as string)).toEqual({ n: 4, result: { doubled: 8 }, size: 'big' });
    expect(calls).toEqual([[fn('double'), { n: 4 }]]);
    expect(await historyTypes(h, arn)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    const events = await history(h, arn);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[1]).toMatchObject({ previousEventId: 1, stateEnteredEventDetails: { name: 'Double', input: '{"n":4}' } });
    expect(events[2]).toMatchObject({ lambdaFunctionScheduledEventDetails: { resource: fn('double'), input: '{"n":4}' } });
  });

  it('gives states the context object of the execution: its input, start time, ids and the state entered', async () => {
    const h = await harness({});
    const arn = await startWith(h, {
      StartAt: 'Change',
      States: {
        Change: { Type: 'Pass', Result: { changed: true }, Next: 'Look' },
        Look: {
          Type: 'Pass',
          Parameters: { 'input.$': '$$.Execution.Input', 'started.$': '$$.Execution.StartTime', 'id.$': '$$.Execution.Id', 'state.$': '$$.State.Name', 'format.$': "States.Format('{}', $$.Execution.Input.who)" },
          End: true,
        },
      },
    }, { who: 'ada' });
    const described = await finished(h, arn);
    expect(JSON.parse(described.output as string)).toEqual({
      input: { who: 'ada' },
      started: new Date((described.startDate as number) * 1000).toISOString(),
      id: arn,
      state: 'Look',
      format: 'ada',
    });
  });

  it('turns a function error into the state error named after errorType, with the Lambda error JSON as cause, which a Catch places at its ResultPath', async () => {
    const h = await harness({
      invoke: async () => ({ payload: { errorType: 'ValidationFailed', errorMessage: 'the secret is not tagged', trace: [] }, functionError: 'Unhandled' }),
    });
    const arn = await startWith(h, {
      StartAt: 'Validate',
      States: {
        Validate: lambdaTask('validate', { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }], End: true }),
        Failed: { Type: 'Fail', Error: 'OnboardingFailed', CausePath: '$.error.Cause' },
      },
    }, { id: 'o-1' });
    const described = await finished(h, arn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'OnboardingFailed' });
    expect(JSON.parse(described.cause as string)).toEqual({ errorType: 'ValidationFailed', errorMessage: 'the secret is not tagged', trace: [] });
    const events = await history(h, arn);
    expect(events.find((e) => e.type === 'LambdaFunctionFailed')).toMatchObject({ lambdaFunctionFailedEventDetails: { error: 'ValidationFailed' } });
    const exited = events.find((e) => e.type === 'TaskStateExited') as unknown as { stateExitedEventDetails: { output: string } };
    expect(JSON.parse(exited.stateExitedEventDetails.output)).toEqual({ id: 'o-1', error: { Error: 'ValidationFailed', Cause: described.cause } });
    expect(events.map((e) => e.type).slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
  });

  it('retries as the Retry field says, with backoff on the cloud clock, and each attempt in the history', async () => {
    let attempts = 0;
    const h = await harness({
      invoke: async () => (++attempts < 3 ? { payload: { errorType: 'TransientError', errorMessage: 'try again' }, functionError: 'Unhandled' } : { payload: 'ok' }),
      timing: { retryScale: 0.001, waitScale: 1 },
    });
    const arn = await startWith(h, {
      StartAt: 'Flaky',
      States: { Flaky: lambdaTask('flaky', { Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 5 }], End: true }) },
    });
    const described = await finished(h, arn);
    expect(described).toMatchObject({ status: 'SUCCEEDED', output: '"ok"' });
    const types = await historyTypes(h, arn);
    expect(types.filter((t) => t === 'LambdaFunctionScheduled')).toHaveLength(3);
    expect(types.filter((t) => t === 'LambdaFunctionFailed')).toHaveLength(2);
    expect(types.filter((t) => t === 'TaskStateEntered')).toHaveLength(1);
    const retries = h.journal.records.filter((r) => r.kind === 'retry');
    expect(retries.map((r) => (r as { attempts: number[] }).attempts)).toEqual([[1], [2]]);
  });

  it('fails the execution once retries are exhausted and nothing catches the error', async () => {
    const h = await harness({ invoke: async () => ({ payload: { errorType: 'TransientError', errorMessage: 'down' }, functionError: 'Unhandled' }) });
    const arn = await startWith(h, {
      StartAt: 'Flaky',
      States: { Flaky: lambdaTask('flaky', { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2, IntervalSeconds: 1 }], End: true }) },
    });
    const described = await finished(h, arn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'TransientError' });
    expect((await historyTypes(h, arn)).filter((t) => t === 'LambdaFunctionScheduled')).toHaveLength(3);
  });

  it('runs Parallel branches and Map iterations, their Task states invoking functions inside the one step', async () => {
    const h = await harness({ invoke: async (arn, payload) => ({ payload: { by: arn.split(':').at(-1), got: payload } }) });
    const arn = await startWith(h, {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Left', States: { Left: { Type: 'Task', Resource: fn('left'), End: true } } },
            { StartAt: 'Right', States: { Right: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'right', 'Payload.$': '$.n' }, OutputPath: '$.Payload', End: true } } },
          ],
          ResultPath: '$.both',
          Next: 'Each',
        },
        Each: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'One', States: { One: { Type: 'Task', Resource: fn('one'), End: true } } }, ResultPath: '$.each', End: true },
      },
    }, { n: 1, items: ['a', 'b'] });
    const described = await finished(h, arn);
    expect(JSON.parse(described.output as string)).toEqual({
      n: 1,
      items: ['a', 'b'],
      both: [{ by: 'left', got: { n: 1, items: ['a', 'b'] } }, { by: 'right', got: 1 }],
      each: [{ by: 'one', got: 'a' }, { by: 'one', got: 'b' }],
    });
    expect((await historyTypes(h, arn)).filter((t) => /^(Parallel|Map)State/.test(t))).toEqual(['ParallelStateEntered', 'ParallelStateExited', 'MapStateEntered', 'MapStateExited']);
  });

  it('reports a Task resource it cannot run as States.TaskFailed naming the resource', async () => {
    const h = await harness({});
    const arn = await startWith(h, { StartAt: 'Put', States: { Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 't' }, End: true } } });
    const described = await finished(h, arn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect(described.cause).toContain('dynamodb:putItem');
    expect(await historyTypes(h, arn)).toContain('TaskStartFailed');
  });

  it('answers lambda:invoke with Payload, StatusCode and ExecutedVersion', async () => {
    const seen: unknown[] = [];
    const h = await harness({
      invoke: async (arn, payload) => {
        seen.push([arn, payload]);
        return { payload: { hello: 'world' } };
      },
    });
    const arn = await startWith(h, {
      StartAt: 'Call',
      States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'greeter', 'Payload.$': '$.who' }, End: true } },
    }, { who: { name: 'ada' } });
    const described = await finished(h, arn);
    expect(JSON.parse(described.output as string)).toEqual({ ExecutedVersion: '$LATEST', Payload: { hello: 'world' }, StatusCode: 200 });
    expect(seen).toEqual([[fn('greeter'), { name: 'ada' }]]);
    const events = await history(h, arn);
    expect(events.find((e) => e.type === 'TaskScheduled')).toMatchObject({
      taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: '{"FunctionName":"greeter","Payload":{"name":"ada"}}' },
    });
  });

  it('fails a task past its TimeoutSeconds with States.Timeout, which a Catch can handle', async () => {
    const clock = new ManualClock();
    const h = await harness({ clock, invoke: () => new Promise(() => undefined) });
    const arn = await startWith(h, {
      StartAt: 'Slow',
      States: {
        Slow: lambdaTask('slow', { TimeoutSeconds: 30, Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Late' }], End: true }),
        Late: { Type: 'Pass', End: true },
      },
    });
    await until('the function to be started', async () => (await historyTypes(h, arn)).includes('LambdaFunctionStarted'));
    clock.advance(29_000);
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.call('DescribeExecution', { executionArn: arn })).status).toBe('RUNNING');
    clock.advance(1_000);
    const described = await finished(h, arn);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output as string)).toEqual({ Error: 'States.Timeout', Cause: 'The task did not finish within its TimeoutSeconds.' });
    expect(await historyTypes(h, arn)).toContain('LambdaFunctionTimedOut');
  });

  it('waits on the cloud clock: a Wait state ends when the clock passes its Seconds', async () => {
    const clock = new ManualClock();
    const h = await harness({ clock, timing: { waitScale: 1, retryScale: 1 } });
    const arn = await startWith(h, { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 3600, Next: 'Done' }, Done: { Type: 'Succeed' } } });
    await until('the wait to start', async () => (await historyTypes(h, arn)).includes('WaitStateEntered'));
    clock.advance(3_599_000);
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.call('DescribeExecution', { executionArn: arn })).status).toBe('RUNNING');
    clock.advance(1_000);
    expect((await finished(h, arn)).status).toBe('SUCCEEDED');
  });

  it('times the whole execution out after the definition TimeoutSeconds', async () => {
    const clock = new ManualClock();
    const h = await harness({ clock, timing: { waitScale: 1, retryScale: 1 } });
    const arn = await startWith(h, { StartAt: 'Pause', TimeoutSeconds: 60, States: { Pause: { Type: 'Wait', Seconds: 3600, End: true } } });
    await until('the wait to start', async () => (await historyTypes(h, arn)).includes('WaitStateEntered'));
    clock.advance(60_000);
    const described = await finished(h, arn);
    expect(described).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect((await historyTypes(h, arn)).at(-1)).toBe('ExecutionTimedOut');
  });

  it('fails an execution whose journal write failed, rather than leave it RUNNING with nothing running it', async () => {
    const journal = new MemoryJournal<StatesRecord>();
    let appends = 0;
    const append = journal.append.bind(journal);
    journal.append = async (...records) => {
      // The fifth write (in the middle of the execution) hits a full disk.
      if (++appends === 5) throw Object.assign(new Error('no space left on device'), { name: 'ENOSPC' });
      return append(...records);
    };
    const logged: string[] = [];
    const h = await harness({ journal, log: (line) => logged.push(line) });
    const arn = await startWith(h, { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'C' }, C: { Type: 'Pass', End: true } } }, { secret: 'value' });
    const described = await finished(h, arn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(described.cause).toContain('no space left on device');
    expect(logged.join('\n')).not.toContain('value');
  });

  it('stops an execution: ABORTED at once, and a late function result is ignored', async () => {
    let release: (value: { payload: unknown }) => void = () => undefined;
    const h = await harness({ invoke: () => new Promise((resolve) => (release = resolve)) });
    const arn = await startWith(h, { StartAt: 'Slow', States: { Slow: lambdaTask('slow', { Next: 'After' }), After: { Type: 'Pass', End: true } } });
    await until('the function to be started', async () => (await historyTypes(h, arn)).includes('LambdaFunctionStarted'));
    const stopped = await h.call('StopExecution', { executionArn: arn, error: 'Cancelled', cause: 'the user offboarded' });
    expect(typeof stopped.stopDate).toBe('number');
    expect(await h.call('DescribeExecution', { executionArn: arn })).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'the user offboarded' });
    release({ payload: 'late' });
    await h.engine.idle();
    const types = await historyTypes(h, arn);
    expect(types.at(-1)).toBe('ExecutionAborted');
    expect(types).not.toContain('LambdaFunctionSucceeded');
  });
});
