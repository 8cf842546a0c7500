import type { Json, MachineDefinition, StateDefinition } from './definition.ts';
import { catcherFor, retryDecision, StateFailure } from './error-handling.ts';
import { dataDetails, failureDetails, stateEntered, stateExited, text, type EventDraft } from './history.ts';
import type { EventMark, ExecutionState, StatesRecord } from './model.ts';
import { caughtOutput, evaluatePaths, finishWait, runState, type StepOutcome } from './state-step.ts';
import { innerTaskRunner, runTaskAttempt, type AttemptContext, type AttemptPlan } from './task-attempt.ts';
import { classifyResource } from './task-resources.ts';
import { sleepUntil } from './cloud-time.ts';

/** What running one execution needs from the engine that owns it. */
export interface ExecutionRun extends Omit<AttemptContext, 'current'> {
  execution: ExecutionState;
  definition: MachineDefinition;
  /** Factors applied to Wait durations and retry intervals (1 = as written; the embedded default shortens them). */
  timing: { waitScale: number; retryScale: number };
  write(record: StatesRecord): Promise<void>;
  newToken(): string;
  random?: () => number;
}

/** The largest state output Step Functions passes on (256 KiB). */
const MAX_DATA_BYTES = 262_144;

const iso = (ms: number | undefined) => new Date(ms ?? 0).toISOString();

function contextObject(run: ExecutionRun, stateName: string, token?: string): Record<string, unknown> {
  const execution = run.execution;
  const cursor = execution.cursor;
  return {
    Execution: { Id: execution.arn, Name: execution.name, RoleArn: execution.roleArn, StartTime: iso(execution.startDate), Input: JSON.parse(execution.input) as Json },
    StateMachine: { Id: execution.machineArn, Name: execution.machineName },
    State: { Name: stateName, EnteredTime: iso(cursor.enteredAt), RetryCount: cursor.attempts.reduce((a, b) => a + b, 0) },
    ...(token ? { Task: { Token: token } } : {}),
  };
}

/** When a Wait state entered now ends on the cloud's clock (Seconds/Timestamp and their paths; shortened by waitScale). */
async function waitDeadline(run: ExecutionRun, name: string, state: StateDefinition, input: Json): Promise<number> {
  const now = run.clock.now();
  const paths = Object.fromEntries(
    [['seconds', state.SecondsPath], ['timestamp', state.TimestampPath]].filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const values = Object.keys(paths).length ? await evaluatePaths(state, input, paths, contextObject(run, name)) : {};
  const seconds = state.Seconds ?? values.seconds;
  const timestamp = state.Timestamp ?? values.timestamp;
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new StateFailure('States.Runtime', `The Wait state ${name} needs a whole number of seconds >= 0, not ${JSON.stringify(seconds)}.`, false, false);
    }
    return now + seconds * 1000 * run.timing.waitScale;
  }
  const at = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(at)) throw new StateFailure('States.Runtime', `The Wait state ${name} needs an ISO-8601 timestamp, not ${JSON.stringify(timestamp)}.`, false, false);
  return now + Math.max(0, at - now) * run.timing.waitScale;
}

async function enter(run: ExecutionRun, name: string, input: Json): Promise<void> {
  const state = run.definition.States[name]!;
  let waitUntil: number | undefined;
  if (state.Type === 'Wait') {
    // A failure here surfaces again when the state runs, after its entry is in the history.
    waitUntil = await waitDeadline(run, name, state, input).catch(() => undefined);
  }
  await run.emit(stateEntered(state.Type, name, input), { waitUntil });
}

async function attemptPlan(run: ExecutionRun, name: string, state: StateDefinition): Promise<AttemptPlan> {
  const resource = classifyResource(state.Resource ?? '');
  const task = run.execution.cursor.task;
  const input = run.execution.cursor.input ?? null;
  const paths = Object.fromEntries(
    [['timeout', state.TimeoutSecondsPath], ['heartbeat', state.HeartbeatSecondsPath]].filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const values = Object.keys(paths).length ? await evaluatePaths(state, input, paths, contextObject(run, name)) : {};
  const seconds = (value: unknown, field: string) => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new StateFailure('States.Runtime', `${field} of ${name} must be a whole number >= 1.`, false, false);
    return value;
  };
  const callback = resource.kind === 'invoke' && resource.callback;
  // A callback task that was already waiting before a restart keeps its token and is not invoked again.
  const waiting = callback && task?.token !== undefined && task.outcome === undefined;
  return {
    resource,
    token: callback ? (waiting ? task.token : run.newToken()) : undefined,
    timeoutSeconds: seconds(state.TimeoutSeconds ?? values.timeout, 'TimeoutSeconds'),
    heartbeatSeconds: callback ? seconds(state.HeartbeatSeconds ?? values.heartbeat, 'HeartbeatSeconds') : undefined,
    resumeWaiting: waiting && task.submitted,
  };
}

/** Task, Parallel and Map states: one attempt after another as their Retry allows, then their Catch. */
async function runRetryable(run: ExecutionRun, name: string, state: StateDefinition): Promise<StepOutcome> {
  const cursor = () => run.execution.cursor;
  for (;;) {
    if (cursor().retryAt !== undefined) await sleepUntil(run.clock, cursor().retryAt!, run.signal, run.clockScale);
    const input = cursor().input ?? null;
    try {
      if (state.Type !== 'Task') {
        return await runState(name, state, input, contextObject(run, name), undefined, innerTaskRunner(run, innerStates(state)));
      }
      const plan = await attemptPlan(run, name, state);
      const attempt: AttemptContext = { ...run, current: () => run.execution.cursor.task };
      return await runState(name, state, input, contextObject(run, name, plan.token), (parameters) => runTaskAttempt(attempt, parameters, plan));
    } catch (err) {
      if (run.signal.aborted || !(err instanceof StateFailure)) throw err;
      const decision = retryDecision(state.Retry, err, state.Type, cursor().attempts, run.random);
      if (decision) {
        await run.write({ kind: 'retry', executionArn: run.execution.arn, attempts: decision.attempts, resumeAt: run.clock.now() + decision.delayMs * run.timing.retryScale });
        continue;
      }
      const catcher = catcherFor(state.Catch, err, state.Type);
      if (!catcher) throw err;
      const errorOutput = { Error: err.error!, ...(err.cause !== undefined ? { Cause: err.cause } : {}) };
      return { output: await caughtOutput(input, errorOutput, catcher.ResultPath), next: catcher.Next };
    }
  }
}

/** Every state inside a Parallel's branches or a Map's processor, at any depth, by name (names are unique). */
function innerStates(state: StateDefinition): Record<string, StateDefinition> {
  const definitions = [...(state.Branches ?? []), ...[state.ItemProcessor ?? state.Iterator].filter((d): d is MachineDefinition => d !== undefined)];
  const all: Record<string, StateDefinition> = {};
  for (const definition of definitions) {
    for (const [name, inner] of Object.entries(definition.States)) Object.assign(all, { [name]: inner }, innerStates(inner));
  }
  return all;
}

async function runCurrent(run: ExecutionRun, name: string, state: StateDefinition): Promise<StepOutcome> {
  const cursor = run.execution.cursor;
  const input = cursor.input ?? null;
  switch (state.Type) {
    case 'Wait': {
      const until = cursor.waitUntil ?? (await waitDeadline(run, name, state, input));
      await sleepUntil(run.clock, until, run.signal, run.clockScale);
      return finishWait(name, state, input, contextObject(run, name));
    }
    case 'Task':
    case 'Parallel':
    case 'Map':
      return runRetryable(run, name, state);
    case 'Fail':
      try {
        return await runState(name, state, input, contextObject(run, name));
      } catch (err) {
        // A Fail state without Error/Cause ends the execution with neither (the library fills in its own).
        const failure = err as StateFailure;
        throw new StateFailure(state.Error !== undefined || state.ErrorPath !== undefined ? failure.error : undefined, state.Cause !== undefined || state.CausePath !== undefined ? failure.cause : undefined);
      }
    default:
      return runState(name, state, input, contextObject(run, name));
  }
}

/**
 * Runs an execution from wherever its history says it is: a new one from StartAt; a resumed one
 * from the last state it entered, with that state's input (a Task runs again, a callback task
 * keeps its token, a Wait waits only what remains), or from the transition after the last exit.
 * Every step is in the journal before the next begins. Returns when the execution has closed, or
 * when the signal aborts (StopExecution, shutdown), writing nothing more.
 */
export async function runExecution(run: ExecutionRun): Promise<void> {
  const execution = run.execution;
  const emit = (draft: EventDraft, mark?: EventMark) => run.emit(draft, mark);
  try {
    if (execution.cursor.state === undefined && execution.status === 'RUNNING') {
      await enter(run, run.definition.StartAt, JSON.parse(execution.input) as Json);
    }
    while (execution.status === 'RUNNING') {
      run.signal.throwIfAborted();
      const cursor = execution.cursor;
      if (cursor.exited) {
        if (cursor.exited.next === null) await emit({ type: 'ExecutionSucceeded', details: { output: text(cursor.exited.output), outputDetails: dataDetails } });
        else await enter(run, cursor.exited.next, cursor.exited.output);
        continue;
      }
      const name = cursor.state!;
      const state = run.definition.States[name]!;
      let outcome: StepOutcome;
      try {
        outcome = await runCurrent(run, name, state);
        if (Buffer.byteLength(text(outcome.output)) > MAX_DATA_BYTES) {
          throw new StateFailure('States.DataLimitExceeded', `The output of ${name} is larger than ${MAX_DATA_BYTES} bytes.`, false, false);
        }
      } catch (err) {
        if (run.signal.aborted || !(err instanceof StateFailure)) throw err;
        await emit({ type: 'ExecutionFailed', details: failureDetails(err.error, err.cause) });
        return;
      }
      await emit(stateExited(state.Type, name, outcome.output), { next: outcome.next });
    }
  } catch (err) {
    if (run.signal.aborted || execution.status !== 'RUNNING') return;
    throw err;
  }
}
