import { StateMachine } from 'aws-local-stepfunctions';
import { nestedTaskNames, type Json, type StateDefinition } from './definition.ts';
import { StateFailure } from './error-handling.ts';

/**
 * Runs ONE state of a definition with aws-local-stepfunctions, so the library's reading of the
 * States Language (paths, Parameters, intrinsic functions, Choice rules, ResultSelector/ResultPath/
 * OutputPath) is the one that applies, while the engine around it owns what must survive a crash:
 * transitions, waits, retries, catches and timeouts. The state is copied with its transitions
 * pointing at placeholder states that record which one was taken; Retry and Catch are removed (the
 * engine applies them with persisted counters), and the library's own 60 s task timeout is lifted
 * (the engine enforces TimeoutSeconds on the cloud's clock).
 */

export interface StepOutcome {
  output: Json;
  /** The next state, or null when this state ends the execution. */
  next: string | null;
}

export type TaskHandler = (input: Json) => Promise<Json>;

const PLACEHOLDER = '\u0000next:';

/**
 * The library overwrites `$$.Execution.Input` and `StartTime` with the state's own input and the
 * moment it runs; the engine runs one state at a time, so those would be wrong. References to them
 * are pointed at a copy the library leaves alone (`executionContext`).
 */
const EXECUTION_FIELDS = /\$\$\.Execution\.(Input|StartTime)\b/g;
const CONTEXT_COPY = 'LocalExecution';

function repointContext<T>(value: T, inPathField = false): T {
  if (typeof value === 'string') return (inPathField ? value.replace(EXECUTION_FIELDS, `$$$$.${CONTEXT_COPY}.$1`) : value) as T;
  if (Array.isArray(value)) return value.map((v) => repointContext(v, inPathField)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, repointContext(v, inPathField || key.endsWith('.$') || key.endsWith('Path') || key === 'Variable')]),
  ) as T;
}

/** The context object for a state: the execution's own Input and StartTime also kept where the library does not overwrite them. */
export function withExecutionCopy(context: Record<string, unknown>): Record<string, unknown> {
  const execution = context.Execution as { Input?: unknown; StartTime?: unknown } | undefined;
  return execution ? { ...context, [CONTEXT_COPY]: { Input: execution.Input, StartTime: execution.StartTime } } : context;
}
/** Longer than any task may run here, and under setTimeout's 2^31 ms limit. */
const LIBRARY_TASK_TIMEOUT_SECONDS = 2_000_000;

/** The library sets ResultPath "$" as a key named "$"; the States Language means "replace the whole input". */
function normalisedResultPath<T extends { ResultPath?: string | null }>(item: T): T {
  if (item.ResultPath !== '$') return item;
  const copy = { ...item };
  delete copy.ResultPath;
  return copy;
}

/** The library wraps the state's error in an ExecutionError; the inner one is what the state reported. */
function failureOf(err: unknown): StateFailure {
  if (err instanceof StateFailure) return err;
  const inner = (err as Error & { cause?: unknown }).cause;
  if (inner instanceof StateFailure) return inner;
  const error = (inner instanceof Error ? inner : err) as Error & { isRetryable?: boolean; isCatchable?: boolean };
  return new StateFailure(error.name, error.message, error.isRetryable ?? true, error.isCatchable ?? true);
}

async function runAlone(
  name: string,
  state: StateDefinition,
  input: Json,
  context: Record<string, unknown>,
  handlers: Record<string, TaskHandler>,
  waitOverrideMs?: number,
): Promise<StepOutcome> {
  const copy: StateDefinition = normalisedResultPath(repointContext({ ...state, Result: undefined }));
  if (state.Result !== undefined) copy.Result = state.Result;
  else delete copy.Result;
  delete copy.Retry;
  delete copy.Catch;
  if (copy.Type === 'Task') {
    copy.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
    delete copy.TimeoutSecondsPath;
    delete copy.HeartbeatSeconds;
    delete copy.HeartbeatSecondsPath;
  }
  const targets: string[] = [];
  const placeholder = (target: string) => {
    let index = targets.indexOf(target);
    if (index < 0) index = targets.push(target) - 1;
    return `${PLACEHOLDER}${index}`;
  };
  if (copy.Next !== undefined) copy.Next = placeholder(copy.Next);
  if (copy.Choices) copy.Choices = copy.Choices.map((choice) => ({ ...choice, Next: placeholder(choice.Next) }));
  if (copy.Default !== undefined) copy.Default = placeholder(copy.Default);

  let taken: string | null = null;
  const states: Record<string, StateDefinition> = { [name]: copy };
  const allHandlers: Record<string, TaskHandler> = { ...handlers };
  targets.forEach((target, i) => {
    const id = `${PLACEHOLDER}${i}`;
    states[id] = { Type: 'Task', Resource: 'arn:aws:states:::local:transition', End: true };
    allHandlers[id] = async (value) => {
      taken = target;
      return value;
    };
  });
  const machine = new StateMachine({ StartAt: name, States: states } as never, { validationOptions: { noValidate: true } });
  try {
    const output = (await machine.run(input as never, {
      context: withExecutionCopy(context),
      overrides: {
        taskResourceLocalHandlers: allHandlers as never,
        ...(waitOverrideMs !== undefined ? { waitTimeOverrides: { [name]: waitOverrideMs } } : {}),
      },
    }).result) as Json;
    return { output, next: taken };
  } catch (err) {
    throw failureOf(err);
  }
}

/**
 * Runs a state that is not a Wait: Task (its work is `task`), Choice, Pass, Succeed, Fail, and
 * Parallel/Map (their inner Task states run through `innerTask`, inside this one step).
 */
export function runState(
  name: string,
  state: StateDefinition,
  input: Json,
  context: Record<string, unknown>,
  task?: TaskHandler,
  innerTask?: (stateName: string) => TaskHandler,
): Promise<StepOutcome> {
  const handlers: Record<string, TaskHandler> = {};
  if (task) handlers[name] = task;
  if (innerTask) for (const inner of nestedTaskNames(state)) handlers[inner] = innerTask(inner);
  return runAlone(name, state, input, context, handlers);
}

/** Finishes a Wait state whose time has passed: its InputPath/OutputPath and transition, without sleeping. */
export function finishWait(name: string, state: StateDefinition, input: Json, context: Record<string, unknown>): Promise<StepOutcome> {
  return runAlone(name, state, input, context, {}, 0);
}

/** Evaluates reference paths against a state's effective input (after InputPath), as the state itself would. */
export async function evaluatePaths(state: StateDefinition, input: Json, paths: Record<string, string>, context: Record<string, unknown>): Promise<Record<string, Json>> {
  const parameters = Object.fromEntries(Object.entries(paths).map(([key, path]) => [`${key}.$`, path]));
  const probe: StateDefinition = { Type: 'Pass', Parameters: parameters, End: true };
  if (state.InputPath !== undefined) probe.InputPath = state.InputPath;
  const { output } = await runAlone('probe', probe, input, context, {});
  return output as Record<string, Json>;
}

/** A caught error's output: `{Error, Cause}` placed into the state's raw input at the catcher's ResultPath. */
export async function caughtOutput(input: Json, errorOutput: { Error: string; Cause?: string }, resultPath: string | null | undefined): Promise<Json> {
  const probe = normalisedResultPath<StateDefinition>({ Type: 'Pass', Result: errorOutput, End: true, ...(resultPath !== undefined ? { ResultPath: resultPath } : {}) });
  const { output } = await runAlone('catch', probe, input, {}, {});
  return output;
}
