import { describe, expect, it } from 'vitest';
import { ACCOUNT, finished, fn, historyTypes, REGION, ROLE, statesHarnesses, until } from './states-fixtures.ts';

const harness = statesHarnesses();

const passThrough = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
const slowTask = JSON.stringify({ StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: fn('slow'), End: true } } });
const never = () => new Promise<never>(() => undefined);

describe('state machines', () => {
  it('creates a machine with an ARN in its account and region, idempotently for the same definition', async () => {
    const h = await harness();
    const created = await h.call('CreateStateMachine', { name: 'rcp-onboarding', definition: passThrough, roleArn: ROLE });
    expect(created.stateMachineArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:rcp-onboarding`);
    const again = await h.call('CreateStateMachine', { name: 'rcp-onboarding', definition: passThrough, roleArn: `arn:aws:iam::${ACCOUNT}:role/other` });
    expect(again).toEqual(created);
    await expect(h.call('CreateStateMachine', { name: 'rcp-onboarding', definition: slowTask, roleArn: ROLE })).rejects.toMatchObject({ code: 'StateMachineAlreadyExists' });
    const described = await h.call('DescribeStateMachine', { stateMachineArn: created.stateMachineArn });
    expect(described).toMatchObject({ name: 'rcp-onboarding', status: 'ACTIVE', definition: passThrough, roleArn: ROLE, type: 'STANDARD' });
  });

  it('refuses definitions AWS refuses, and what the local engine cannot run, with InvalidDefinition', async () => {
    const h = await harness();
    const create = (definition: string) => h.call('CreateStateMachine', { name: 'bad', definition, roleArn: ROLE });
    await expect(create('{not json')).rejects.toMatchObject({ code: 'InvalidDefinition' });
    await expect(create(JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Missing' } } }))).rejects.toMatchObject({
      code: 'InvalidDefinition',
      message: expect.stringContaining('MISSING_TRANSITION_TARGET'),
    });
    await expect(create(JSON.stringify({ QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }))).rejects.toMatchObject({
      code: 'InvalidDefinition',
      message: expect.stringContaining('JSONPath definitions only'),
    });
    await expect(create(JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { x: 1 }, End: true } } }))).rejects.toMatchObject({ code: 'InvalidDefinition' });
  });

  it('refuses bad names, role ARNs and EXPRESS machines with the errors AWS names', async () => {
    const h = await harness();
    await expect(h.call('CreateStateMachine', { name: 'has space', definition: passThrough, roleArn: ROLE })).rejects.toMatchObject({ code: 'InvalidName' });
    await expect(h.call('CreateStateMachine', { name: 'ok', definition: passThrough, roleArn: 'not-an-arn' })).rejects.toMatchObject({ code: 'InvalidArn' });
    await expect(h.call('CreateStateMachine', { name: 'ok', definition: passThrough, roleArn: ROLE, type: 'EXPRESS' })).rejects.toMatchObject({ code: 'StateMachineTypeNotSupported' });
    await expect(h.call('CreateStateMachine', { definition: passThrough, roleArn: ROLE })).rejects.toMatchObject({ code: 'ValidationException' });
    await expect(h.call('DescribeStateMachine', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope` })).rejects.toMatchObject({ code: 'StateMachineDoesNotExist' });
    await expect(h.call('DescribeStateMachine', { stateMachineArn: 'arn:aws:sqs:x' })).rejects.toMatchObject({ code: 'InvalidArn' });
  });

  it('updates the definition for new executions while running ones keep the one they started with', async () => {
    let release: (v: { payload: unknown }) => void = () => undefined;
    const h = await harness({ invoke: () => new Promise((resolve) => (release = resolve)) });
    const { stateMachineArn } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: 'm', definition: slowTask, roleArn: ROLE });
    const { executionArn: old } = await h.call<{ executionArn: string }>('StartExecution', { stateMachineArn, input: '{}' });
    await until('the old execution to invoke', async () => (await historyTypes(h, old)).includes('LambdaFunctionStarted'));
    await expect(h.call('UpdateStateMachine', { stateMachineArn })).rejects.toMatchObject({ code: 'MissingRequiredParameter' });
    const updated = await h.call('UpdateStateMachine', { stateMachineArn, definition: passThrough });
    expect(typeof updated.updateDate).toBe('number');
    const { executionArn: fresh } = await h.call<{ executionArn: string }>('StartExecution', { stateMachineArn, input: '{"new":true}' });
    expect((await finished(h, fresh)).output).toBe('{"new":true}');
    release({ payload: 'old definition' });
    expect((await finished(h, old)).output).toBe('"old definition"');
  });

  it('deletes a machine at once when nothing runs, and after its last running execution otherwise', async () => {
    let release: (v: { payload: unknown }) => void = () => undefined;
    const h = await harness({ invoke: () => new Promise((resolve) => (release = resolve)) });
    const { stateMachineArn: idle } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: 'idle', definition: passThrough, roleArn: ROLE });
    await h.call('DeleteStateMachine', { stateMachineArn: idle });
    await expect(h.call('DescribeStateMachine', { stateMachineArn: idle })).rejects.toMatchObject({ code: 'StateMachineDoesNotExist' });
    await h.call('DeleteStateMachine', { stateMachineArn: idle });

    const { stateMachineArn: busy } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: 'busy', definition: slowTask, roleArn: ROLE });
    const { executionArn } = await h.call<{ executionArn: string }>('StartExecution', { stateMachineArn: busy });
    await until('the execution to invoke', async () => (await historyTypes(h, executionArn)).includes('LambdaFunctionStarted'));
    await h.call('DeleteStateMachine', { stateMachineArn: busy });
    expect((await h.call('DescribeStateMachine', { stateMachineArn: busy })).status).toBe('DELETING');
    await expect(h.call('StartExecution', { stateMachineArn: busy })).rejects.toMatchObject({ code: 'StateMachineDeleting' });
    release({ payload: 1 });
    await finished(h, executionArn);
    await until('the machine to be gone', () => h.call('DescribeStateMachine', { stateMachineArn: busy }).then(() => undefined, (err: { code: string }) => err.code === 'StateMachineDoesNotExist'));
    expect((await h.call('DescribeExecution', { executionArn })).status).toBe('SUCCEEDED');
  });

  it('lists machines page by page', async () => {
    const h = await harness();
    for (const name of ['a', 'b', 'c']) await h.call('CreateStateMachine', { name, definition: passThrough, roleArn: ROLE });
    const first = await h.call<{ stateMachines: Array<{ name: string }>; nextToken?: string }>('ListStateMachines', { maxResults: 2 });
    expect(first.stateMachines.map((m) => m.name)).toEqual(['a', 'b']);
    const second = await h.call<{ stateMachines: Array<{ name: string }>; nextToken?: string }>('ListStateMachines', { maxResults: 2, nextToken: first.nextToken });
    expect(second.stateMachines.map((m) => m.name)).toEqual(['c']);
    expect(second.nextToken).toBeUndefined();
    await expect(h.call('ListStateMachines', { nextToken: 'garbage' })).rejects.toMatchObject({ code: 'InvalidToken' });
  });
});

describe('executions', () => {
  it('treats StartExecution with the same name and input as the same request while it runs, and refuses another input or a closed one', async () => {
    const h = await harness({ invoke: never });
    const { stateMachineArn } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: 'm', definition: slowTask, roleArn: ROLE });
    const first = await h.call('StartExecution', { stateMachineArn, name: 'onb-1', input: '{"a":1}' });
    expect(first.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:m:onb-1`);
    expect(await h.call('StartExecution', { stateMachineArn, name: 'onb-1', input: '{"a":1}' })).toEqual(first);
    await expect(h.call('StartExecution', { stateMachineArn, name: 'onb-1', input: '{"a":2}' })).rejects.toMatchObject({ code: 'ExecutionAlreadyExists' });
    await h.call('StopExecution', { executionArn: first.executionArn });
    await expect(h.call('StartExecution', { stateMachineArn, name: 'onb-1', input: '{"a":1}' })).rejects.toMatchObject({ code: 'ExecutionAlreadyExists' });
  });

  it('refuses input that is not JSON, a bad name, and unknown executions', async () => {
    const h = await harness();
    const { stateMachineArn } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: 'm', definition: passThrough, roleArn: ROLE });
    await expect(h.call('StartExecution', { stateMachineArn, input: '{oops' })).rejects.toMatchObject({ code: 'InvalidExecutionInput' });
    await expect(h.call('StartExecution', { stateMachineArn, name: 'a/b' })).rejects.toMatchObject({ code: 'InvalidName' });
    const unknown = `arn:aws:states:${REGION}:${ACCOUNT}:execution:m:nope`;
    await expect(h.call('DescribeExecution', { executionArn: unknown })).rejects.toMatchObject({ code: 'ExecutionDoesNotExist' });
    await expect(h.call('GetExecutionHistory', { executionArn: unknown })).rejects.toMatchObject({ code: 'ExecutionDoesNotExist' });
    await expect(h.call('StopExecution', { executionArn: unknown })).rejects.toMatchObject({ code: 'ExecutionDoesNotExist' });
    const { executionArn } = await h.call<{ executionArn: string }>('StartExecution', { stateMachineArn });
    expect((await finished(h, executionArn)).input).toBe('{}');
  });

  it('lists executions newest first, filtered by status, page by page', async () => {
    const h = await harness({ invoke: never });
    const { stateMachineArn } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: 'm', definition: slowTask, roleArn: ROLE });
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) arns.push((await h.call<{ executionArn: string }>('StartExecution', { stateMachineArn, name: `e${i}` })).executionArn);
    await h.call('StopExecution', { executionArn: arns[1] });
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await h.call<{ executions: Array<{ name: string }>; nextToken?: string }>('ListExecutions', { stateMachineArn, maxResults: 2, nextToken });
      seen.push(...page.executions.map((e) => e.name));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
    const aborted = await h.call<{ executions: Array<{ name: string; status: string; stopDate?: number }> }>('ListExecutions', { stateMachineArn, statusFilter: 'ABORTED' });
    expect(aborted.executions).toEqual([expect.objectContaining({ name: 'e1', status: 'ABORTED', stopDate: expect.any(Number) })]);
    await expect(h.call('ListExecutions', {})).rejects.toMatchObject({ code: 'ValidationException' });
  });

  it('pages through the history in both orders and can leave out execution data', async () => {
    const h = await harness();
    const { stateMachineArn } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: 'm', definition: passThrough, roleArn: ROLE });
    const { executionArn } = await h.call<{ executionArn: string }>('StartExecution', { stateMachineArn, input: '{"k":"v"}' });
    await finished(h, executionArn);
    const ids = async (reverseOrder: boolean) => {
      const all: number[] = [];
      let nextToken: string | undefined;
      do {
        const page = await h.call<{ events: Array<{ id: number }>; nextToken?: string }>('GetExecutionHistory', { executionArn, maxResults: 2, reverseOrder, nextToken });
        all.push(...page.events.map((e) => e.id));
        nextToken = page.nextToken;
      } while (nextToken);
      return all;
    };
    expect(await ids(false)).toEqual([1, 2, 3, 4]);
    expect(await ids(true)).toEqual([4, 3, 2, 1]);
    const bare = await h.call<{ events: Array<Record<string, Record<string, unknown>>> }>('GetExecutionHistory', { executionArn, includeExecutionData: false });
    expect(bare.events[0]!.executionStartedEventDetails).toEqual({ inputDetails: { truncated: false }, roleArn: ROLE });
    expect(bare.events[1]!.stateEnteredEventDetails).toEqual({ name: 'P', inputDetails: { truncated: false } });
  });
});
