import type { Json } from './definition.ts';
import type { HistoryEvent } from './history.ts';

/**
 * The Step Functions state of one account and region, and the journal it is rebuilt from. Every
 * change is a record appended to the journal (durable before the engine acts on it) and applied
 * to this model by the same `apply` at run time and at startup, so a restarted cloud sees exactly
 * what the crashed one had persisted: the history IS the execution's state.
 */

export interface MachineRecord {
  arn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  status: 'ACTIVE' | 'DELETING';
  creationDate: number;
  updateDate?: number;
  loggingConfiguration?: Record<string, unknown>;
  tracingConfiguration?: Record<string, unknown>;
  tags?: Array<{ key: string; value: string }>;
}

export interface ExecutionHeader {
  arn: string;
  name: string;
  machineArn: string;
  machineName: string;
  roleArn: string;
  /** The definition when it started: UpdateStateMachine leaves running executions on the old one. */
  definition: string;
  input: string;
  startDate: number;
}

/** What the engine needs, beyond the history AWS shows, to resume an execution where it was. */
export interface EventMark {
  /** On a StateExited: where the execution goes next (null: it ends). */
  next?: string | null;
  /** On a WaitStateEntered: when the wait ends (cloud clock). */
  waitUntil?: number;
  /** On a Task/LambdaFunction scheduled event: the attempt's token and deadlines. */
  token?: string;
  timeoutAt?: number;
  heartbeatSeconds?: number;
}

export type StatesRecord =
  | { kind: 'machine'; machine: MachineRecord }
  | { kind: 'machine-deleted'; arn: string }
  | { kind: 'execution'; execution: ExecutionHeader }
  | { kind: 'event'; executionArn: string; event: HistoryEvent; mark?: EventMark }
  | { kind: 'retry'; executionArn: string; attempts: number[]; resumeAt: number }
  | { kind: 'heartbeat'; executionArn: string; at: number };

/** Where the store keeps the records; `append` resolves once they are durable, in call order. */
export interface Journal<R> {
  load(): Promise<R[]>;
  append(...records: R[]): Promise<void>;
}

export type TaskOutcome = { ok: true; output: string } | { ok: false; error?: string; cause?: string; timedOut?: boolean };

export interface TaskAttempt {
  token?: string;
  timeoutAt?: number;
  heartbeatSeconds?: number;
  heartbeatAt?: number;
  submitted: boolean;
  outcome?: TaskOutcome;
}

export interface Cursor {
  state?: string;
  input?: Json;
  enteredAt?: number;
  waitUntil?: number;
  /** Retry counters of the current state entry, one per retrier. */
  attempts: number[];
  retryAt?: number;
  task?: TaskAttempt;
  exited?: { output: Json; next: string | null };
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionState extends ExecutionHeader {
  seq: number;
  status: ExecutionStatus;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  cursor: Cursor;
}

const TERMINAL: Record<string, ExecutionStatus> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

const OUTCOME_TYPES = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'TaskFailed', 'LambdaFunctionFailed', 'TaskTimedOut', 'LambdaFunctionTimedOut', 'TaskStartFailed', 'LambdaFunctionStartFailed']);

export class StatesModel {
  readonly machines = new Map<string, MachineRecord>();
  readonly executions = new Map<string, ExecutionState>();
  private seq = 0;

  apply(record: StatesRecord): void {
    switch (record.kind) {
      case 'machine':
        this.machines.set(record.machine.arn, record.machine);
        return;
      case 'machine-deleted':
        this.machines.delete(record.arn);
        return;
      case 'execution':
        this.executions.set(record.execution.arn, { ...record.execution, seq: ++this.seq, status: 'RUNNING', events: [], cursor: { attempts: [] } });
        return;
      case 'event': {
        const execution = this.executions.get(record.executionArn);
        if (execution) applyEvent(execution, record.event, record.mark);
        return;
      }
      case 'retry': {
        const cursor = this.executions.get(record.executionArn)?.cursor;
        if (!cursor) return;
        cursor.attempts = record.attempts;
        cursor.retryAt = record.resumeAt;
        delete cursor.task;
        return;
      }
      case 'heartbeat': {
        const task = this.executions.get(record.executionArn)?.cursor.task;
        if (task?.heartbeatSeconds !== undefined) task.heartbeatAt = record.at + task.heartbeatSeconds * 1000;
        return;
      }
    }
  }
}

function applyEvent(execution: ExecutionState, event: HistoryEvent, mark: EventMark | undefined): void {
  execution.events.push(event);
  const details = (event.details ?? {}) as Record<string, string | undefined>;
  const terminal = TERMINAL[event.type];
  if (terminal) {
    execution.status = terminal;
    execution.stopDate = event.timestamp;
    if (details.output !== undefined) execution.output = details.output;
    if (details.error !== undefined) execution.error = details.error;
    if (details.cause !== undefined) execution.cause = details.cause;
    execution.cursor = { attempts: [] };
    return;
  }
  const cursor = execution.cursor;
  if (event.type.endsWith('StateEntered')) {
    execution.cursor = { state: details.name, input: JSON.parse(details.input ?? 'null') as Json, enteredAt: event.timestamp, waitUntil: mark?.waitUntil, attempts: [] };
  } else if (event.type.endsWith('StateExited')) {
    cursor.exited = { output: JSON.parse(details.output ?? 'null') as Json, next: mark?.next ?? null };
  } else if (event.type === 'TaskScheduled' || event.type === 'LambdaFunctionScheduled') {
    delete cursor.retryAt;
    cursor.task = {
      token: mark?.token,
      timeoutAt: mark?.timeoutAt,
      heartbeatSeconds: mark?.heartbeatSeconds,
      heartbeatAt: mark?.heartbeatSeconds !== undefined ? event.timestamp + mark.heartbeatSeconds * 1000 : undefined,
      submitted: false,
    };
  } else if (event.type === 'TaskSubmitted' && cursor.task) {
    cursor.task.submitted = true;
  } else if (OUTCOME_TYPES.has(event.type) && cursor.task) {
    cursor.task.outcome = event.type.endsWith('Succeeded')
      ? { ok: true, output: details.output ?? 'null' }
      : { ok: false, error: details.error, cause: details.cause, timedOut: event.type.endsWith('TimedOut') };
  }
}
