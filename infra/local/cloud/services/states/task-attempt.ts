import type { Json, StateDefinition } from './definition.ts';
import { StateFailure } from './error-handling.ts';
import { dataDetails, failureDetails, text, type EventDraft } from './history.ts';
import type { EventMark, TaskAttempt, TaskOutcome } from './model.ts';
import { classifyResource, functionArnOf, functionFailure, invokeFailure, resourceLabel, type Invoke, type TaskResource } from './task-resources.ts';
import { sleepUntil, type CloudClock } from './cloud-time.ts';

/** What one attempt of a Task state needs from the execution around it. */
export interface AttemptContext {
  identity: { account: string; region: string };
  clock: CloudClock;
  clockScale: number;
  invoke: Invoke;
  signal: AbortSignal;
  /** Appends an event to the history (durable when it resolves). */
  emit(draft: EventDraft, mark?: EventMark): Promise<void>;
  /** The attempt as the history has it now (outcome set by SendTask* or by this attempt). */
  current(): TaskAttempt | undefined;
  /** Resolves at the next change to this execution (an outcome arriving, a heartbeat); forgets the wait when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void>;
}

export interface AttemptPlan {
  resource: TaskResource;
  /** The callback token of this attempt (kept from before a restart when the task was already waiting). */
  token?: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** The task was already submitted before a restart: wait for its outcome without invoking again. */
  resumeWaiting: boolean;
}

const TIMED_OUT: Record<string, string> = {
  'States.Timeout': 'The task did not finish within its TimeoutSeconds.',
  'States.HeartbeatTimeout': 'The task sent no heartbeat within its HeartbeatSeconds.',
};

function outcomeResult(outcome: TaskOutcome): Json {
  if (outcome.ok) return JSON.parse(outcome.output) as Json;
  throw new StateFailure(outcome.error, outcome.cause);
}

/**
 * Waits for `pending` (the invocation) or for an outcome recorded by SendTaskSuccess/Failure,
 * while enforcing TimeoutSeconds and HeartbeatSeconds on the cloud's clock. A timeout is recorded
 * (TaskTimedOut / LambdaFunctionTimedOut) and thrown; the invocation keeps running unobserved.
 */
async function watch<T>(ctx: AttemptContext, pending: Promise<T> | undefined, timedOutType: string, label: Record<string, string>): Promise<{ value?: T; outcome?: TaskOutcome }> {
  let settled: { value: T } | { error: unknown } | undefined;
  pending?.then(
    (value) => (settled = { value }),
    (error: unknown) => (settled = { error }),
  );
  for (;;) {
    ctx.signal.throwIfAborted();
    const task = ctx.current();
    if (task?.outcome) return { outcome: task.outcome };
    if (settled) {
      if ('error' in settled) throw settled.error;
      return { value: settled.value };
    }
    const now = ctx.clock.now();
    const expired =
      task?.timeoutAt !== undefined && now >= task.timeoutAt ? 'States.Timeout' : task?.heartbeatAt !== undefined && now >= task.heartbeatAt ? 'States.HeartbeatTimeout' : undefined;
    if (expired) {
      await ctx.emit({ type: timedOutType, details: { ...label, error: expired, cause: TIMED_OUT[expired] } });
      throw new StateFailure(expired, TIMED_OUT[expired]);
    }
    const deadline = Math.min(task?.timeoutAt ?? Infinity, task?.heartbeatAt ?? Infinity);
    const wake = new AbortController();
    const stop = () => wake.abort();
    ctx.signal.addEventListener('abort', stop, { once: true });
    await Promise.race([
      ...(pending ? [pending.then(stop, stop)] : []),
      ctx.changed(wake.signal).then(stop),
      Number.isFinite(deadline) ? sleepUntil(ctx.clock, deadline, wake.signal, ctx.clockScale).catch(() => undefined) : new Promise((r) => wake.signal.addEventListener('abort', r)),
    ]);
    wake.abort();
    ctx.signal.removeEventListener('abort', stop);
  }
}

/** A bare Lambda function ARN as Resource: LambdaFunction* events; the function's return is the result. */
async function runFunction(ctx: AttemptContext, functionArn: string, input: Json, plan: AttemptPlan): Promise<Json> {
  const timeoutAt = plan.timeoutSeconds !== undefined ? ctx.clock.now() + plan.timeoutSeconds * 1000 : undefined;
  await ctx.emit(
    { type: 'LambdaFunctionScheduled', details: { resource: functionArn, input: text(input), inputDetails: dataDetails, ...(plan.timeoutSeconds !== undefined ? { timeoutInSeconds: plan.timeoutSeconds } : {}) } },
    { timeoutAt },
  );
  await ctx.emit({ type: 'LambdaFunctionStarted' });
  let result: { payload: unknown; functionError?: string };
  try {
    ({ value: result } = (await watch(ctx, ctx.invoke(functionArn, input), 'LambdaFunctionTimedOut', {})) as { value: { payload: unknown; functionError?: string } });
  } catch (err) {
    if (err instanceof StateFailure && err.error?.startsWith('States.')) throw err;
    if (ctx.signal.aborted) throw err;
    const failure = invokeFailure(err);
    await ctx.emit({ type: 'LambdaFunctionFailed', details: failureDetails(failure.error, failure.cause) });
    throw failure;
  }
  if (result.functionError) {
    const failure = functionFailure(result.payload);
    await ctx.emit({ type: 'LambdaFunctionFailed', details: failureDetails(failure.error, failure.cause) });
    throw failure;
  }
  const output = (result.payload ?? null) as Json;
  await ctx.emit({ type: 'LambdaFunctionSucceeded', details: { output: text(output), outputDetails: dataDetails } });
  return output;
}

/** `arn:aws:states:::lambda:invoke[.waitForTaskToken]`: Task* events; the callback form waits for SendTask*. */
async function runInvoke(ctx: AttemptContext, parameters: Json, plan: AttemptPlan, callback: boolean): Promise<Json> {
  const label = resourceLabel(plan.resource);
  const fail = async (failure: StateFailure): Promise<never> => {
    if (!ctx.current()?.outcome) await ctx.emit({ type: 'TaskFailed', details: { ...label, ...failureDetails(failure.error, failure.cause) } });
    throw failure;
  };
  if (!plan.resumeWaiting) {
    const timeoutAt = plan.timeoutSeconds !== undefined ? ctx.clock.now() + plan.timeoutSeconds * 1000 : undefined;
    await ctx.emit(
      {
        type: 'TaskScheduled',
        details: {
          ...label,
          region: ctx.identity.region,
          parameters: text(parameters),
          ...(plan.timeoutSeconds !== undefined ? { timeoutInSeconds: plan.timeoutSeconds } : {}),
          ...(plan.heartbeatSeconds !== undefined ? { heartbeatInSeconds: plan.heartbeatSeconds } : {}),
        },
      },
      { token: plan.token, timeoutAt, heartbeatSeconds: plan.heartbeatSeconds },
    );
    await ctx.emit({ type: 'TaskStarted', details: label });
    const params = (parameters ?? {}) as Record<string, Json>;
    let functionArn: string;
    try {
      functionArn = functionArnOf(params.FunctionName, ctx.identity);
    } catch (err) {
      return fail(err as StateFailure);
    }
    let invoked: { value?: { payload: unknown; functionError?: string }; outcome?: TaskOutcome };
    try {
      invoked = await watch(ctx, ctx.invoke(functionArn, params.Payload ?? {}), 'TaskTimedOut', label);
    } catch (err) {
      if ((err instanceof StateFailure && err.error?.startsWith('States.')) || ctx.signal.aborted) throw err;
      return fail(invokeFailure(err));
    }
    if (invoked.outcome) return outcomeResult(invoked.outcome);
    const result = invoked.value!;
    if (result.functionError) return fail(functionFailure(result.payload));
    const output: Json = { ExecutedVersion: '$LATEST', Payload: (result.payload ?? null) as Json, StatusCode: 200 };
    if (!callback) {
      await ctx.emit({ type: 'TaskSucceeded', details: { ...label, output: text(output), outputDetails: dataDetails } });
      return output;
    }
    if (!ctx.current()?.outcome) await ctx.emit({ type: 'TaskSubmitted', details: { ...label, output: text(output), outputDetails: dataDetails } });
  }
  const { outcome } = await watch<never>(ctx, undefined, 'TaskTimedOut', label);
  return outcomeResult(outcome!);
}

/**
 * One attempt of a Task state: records it in the history the way Step Functions does, invokes
 * through the injected Lambda, and returns the task's result (before ResultSelector/ResultPath) or
 * throws its StateFailure. An attempt whose outcome the history already holds (a restart after
 * SendTaskSuccess arrived) returns that outcome without running again.
 */
export async function runTaskAttempt(ctx: AttemptContext, input: Json, plan: AttemptPlan): Promise<Json> {
  const recorded = ctx.current()?.outcome;
  if (recorded) return outcomeResult(recorded);
  switch (plan.resource.kind) {
    case 'function':
      return runFunction(ctx, plan.resource.functionArn, input, plan);
    case 'invoke':
      return runInvoke(ctx, input, plan, plan.resource.callback);
    case 'unsupported': {
      const label = resourceLabel(plan.resource);
      const cause = `The local cloud does not run Task resource ${plan.resource.resourceType}:${plan.resource.resource}; it runs Lambda functions and lambda:invoke[.waitForTaskToken].`;
      await ctx.emit({ type: 'TaskScheduled', details: { ...label, region: ctx.identity.region, parameters: text(input) } });
      await ctx.emit({ type: 'TaskStartFailed', details: { ...label, error: 'States.TaskFailed', cause } });
      throw new StateFailure('States.TaskFailed', cause);
    }
  }
}

/** A Task inside a Parallel or Map state runs within its parent's step: invoked, not journaled. */
export function innerTaskRunner(ctx: Pick<AttemptContext, 'identity' | 'invoke'>, states: Record<string, StateDefinition>) {
  return (stateName: string) => async (input: Json): Promise<Json> => {
    const resource = classifyResource(states[stateName]?.Resource ?? '');
    if (resource.kind === 'unsupported' || (resource.kind === 'invoke' && resource.callback)) {
      throw new StateFailure('States.TaskFailed', `The local cloud runs only Lambda tasks inside Parallel and Map states (${stateName}).`);
    }
    const functionArn = resource.kind === 'function' ? resource.functionArn : functionArnOf((input as Record<string, Json>)?.FunctionName, ctx.identity);
    const payload = resource.kind === 'function' ? input : ((input as Record<string, Json>).Payload ?? {});
    let result: { payload: unknown; functionError?: string };
    try {
      result = await ctx.invoke(functionArn, payload);
    } catch (err) {
      throw invokeFailure(err);
    }
    if (result.functionError) throw functionFailure(result.payload);
    return resource.kind === 'function' ? ((result.payload ?? null) as Json) : { ExecutedVersion: '$LATEST', Payload: (result.payload ?? null) as Json, StatusCode: 200 };
  };
}
