import { randomBytes } from 'node:crypto';
import { AwsError } from '../../errors.ts';
import type { MachineDefinition } from './definition.ts';
import { dataDetails, failureDetails, type EventDraft, type HistoryEvent } from './history.ts';
import { StatesModel, type EventMark, type ExecutionHeader, type ExecutionState, type Journal, type MachineRecord, type StatesRecord } from './model.ts';
import { runExecution } from './execution-runner.ts';
import type { Invoke } from './task-resources.ts';
import { sleepUntil, type CloudClock } from './cloud-time.ts';

export interface StatesEngineOptions {
  account: string;
  region: string;
  clock: CloudClock;
  /** The clock's speed (emulated ms per real ms), so sleeps on it take the right real time. */
  clockScale?: number;
  journal: Journal<StatesRecord>;
  invoke: Invoke;
  /** Factors for Wait durations and retry intervals: 1 runs them as written; 0.05 makes a 10 s wait 0.5 s. */
  timing?: { waitScale?: number; retryScale?: number };
  /** Where to report an execution loop that broke (never with execution data). */
  log?: (line: string) => void;
}

/** Thrown into a loop whose execution closed (stopped, timed out) while it was working. */
export class ExecutionClosed extends Error {}
class Shutdown extends Error {}

/** A task token: opaque to callers, naming the execution it belongs to so SendTask* finds it without a scan. */
export function encodeToken(executionArn: string): string {
  return Buffer.from(JSON.stringify({ e: executionArn, n: randomBytes(24).toString('base64url') })).toString('base64url');
}

export function tokenExecution(token: string): string | undefined {
  try {
    const { e } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { e?: unknown };
    return typeof e === 'string' && e.startsWith('arn:') ? e : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Step Functions runtime of one account and region: the model rebuilt from the journal, one
 * loop per running execution, task tokens, StopExecution and the execution timeout. The API layer
 * (operations.ts) calls it; the cloud opens it at startup, calls `start()` to resume every RUNNING
 * execution, and `stop()` at shutdown (executions stay RUNNING in the journal and resume next time).
 */
export class StatesEngine {
  readonly model = new StatesModel();
  readonly account: string;
  readonly region: string;
  private readonly loops = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private started = false;

  private constructor(private readonly options: StatesEngineOptions) {
    this.account = options.account;
    this.region = options.region;
  }

  static async open(options: StatesEngineOptions): Promise<StatesEngine> {
    const engine = new StatesEngine(options);
    for (const record of await options.journal.load()) engine.model.apply(record);
    return engine;
  }

  get clock(): CloudClock {
    return this.options.clock;
  }

  /** Resumes every execution the journal has as RUNNING. */
  start(): void {
    this.started = true;
    for (const execution of this.model.executions.values()) if (execution.status === 'RUNNING') this.launch(execution);
  }

  /** Stops every loop without closing its execution (a shutdown, not a StopExecution). */
  async stop(): Promise<void> {
    this.started = false;
    const loops = [...this.loops.values()];
    for (const loop of loops) loop.controller.abort(new Shutdown('the local cloud is stopping'));
    await Promise.all(loops.map((loop) => loop.done));
  }

  /** Resolves once no execution is running (tests and graceful stops). */
  async idle(): Promise<void> {
    while (this.loops.size) await Promise.all([...this.loops.values()].map((loop) => loop.done));
  }

  /** Applies records and makes them durable, in order. */
  async write(...records: StatesRecord[]): Promise<void> {
    for (const record of records) this.model.apply(record);
    for (const record of records) if ('executionArn' in record) this.notify(record.executionArn);
    await this.options.journal.append(...records);
  }

  /** Appends an event to a running execution's history (or a closing event); never after it closed. */
  async emit(execution: ExecutionState, draft: EventDraft, mark?: EventMark): Promise<void> {
    if (execution.status !== 'RUNNING') throw new ExecutionClosed(`${execution.arn} is ${execution.status}`);
    const last = execution.events.at(-1);
    const event: HistoryEvent = { id: (last?.id ?? 0) + 1, previousEventId: last?.id ?? 0, timestamp: this.options.clock.now(), ...draft };
    await this.write({ kind: 'event', executionArn: execution.arn, event, ...(mark && Object.values(mark).some((v) => v !== undefined) ? { mark } : {}) });
    if (execution.status !== 'RUNNING') {
      const machine = this.model.machines.get(execution.machineArn);
      if (machine?.status === 'DELETING') await this.deleteMachine(machine);
    }
  }

  /** Records a new execution with its ExecutionStarted event (one durable write), then runs it. */
  async startExecution(header: ExecutionHeader, definition: MachineDefinition): Promise<ExecutionState> {
    const started: HistoryEvent = {
      id: 1,
      previousEventId: 0,
      timestamp: header.startDate,
      type: 'ExecutionStarted',
      details: { input: header.input, inputDetails: dataDetails, roleArn: header.roleArn },
    };
    await this.write({ kind: 'execution', execution: header }, { kind: 'event', executionArn: header.arn, event: started });
    const execution = this.model.executions.get(header.arn)!;
    if (this.started) this.launch(execution, definition);
    return execution;
  }

  /**
   * DeleteStateMachine: gone at once when nothing runs on it; otherwise DELETING (no new executions)
   * until its last running execution closes, as AWS finishes deleting in the background.
   */
  async deleteMachine(machine: MachineRecord): Promise<void> {
    const running = [...this.model.executions.values()].some((e) => e.machineArn === machine.arn && e.status === 'RUNNING');
    if (running) {
      if (machine.status !== 'DELETING') await this.write({ kind: 'machine', machine: { ...machine, status: 'DELETING' } });
    } else {
      await this.write({ kind: 'machine-deleted', arn: machine.arn });
    }
  }

  /** StopExecution: ABORTED now (durable before it answers); the loop stops at its next step. */
  async stopExecution(execution: ExecutionState, error?: string, cause?: string): Promise<void> {
    if (execution.status !== 'RUNNING') return;
    await this.emit(execution, { type: 'ExecutionAborted', details: failureDetails(error, cause) });
    this.loops.get(execution.arn)?.controller.abort(new ExecutionClosed('aborted'));
  }

  /** The running execution whose current task waits on `token`, or the error SendTask* answers. */
  private waitingTask(token: string): ExecutionState {
    const arn = tokenExecution(token);
    if (!arn) throw new AwsError('InvalidToken', 'Invalid Token: \'Invalid token\'');
    const execution = this.model.executions.get(arn);
    if (!execution) throw new AwsError('TaskDoesNotExist', 'Task Does Not Exist: \'Provided task does not exist\'');
    const task = execution.cursor.task;
    if (execution.status !== 'RUNNING' || task?.token !== token || task.outcome) {
      throw new AwsError('TaskTimedOut', 'Task Timed Out: \'Provided task does not exist anymore\'');
    }
    return execution;
  }

  async sendTaskSuccess(token: string, output: string): Promise<void> {
    const execution = this.waitingTask(token);
    await this.emit(execution, { type: 'TaskSucceeded', details: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', output, outputDetails: dataDetails } });
  }

  async sendTaskFailure(token: string, error?: string, cause?: string): Promise<void> {
    const execution = this.waitingTask(token);
    await this.emit(execution, { type: 'TaskFailed', details: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', ...failureDetails(error, cause) } });
  }

  async sendTaskHeartbeat(token: string): Promise<void> {
    const execution = this.waitingTask(token);
    await this.write({ kind: 'heartbeat', executionArn: execution.arn, at: this.options.clock.now() });
  }

  private notify(executionArn: string): void {
    const waiting = this.listeners.get(executionArn);
    if (!waiting) return;
    this.listeners.delete(executionArn);
    for (const wake of waiting) wake();
  }

  private changed(executionArn: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.listeners.get(executionArn) ?? new Set();
      this.listeners.set(executionArn, set);
      set.add(resolve);
      signal.addEventListener('abort', () => set.delete(resolve), { once: true });
    });
  }

  private launch(execution: ExecutionState, definition: MachineDefinition = JSON.parse(execution.definition) as MachineDefinition): void {
    if (this.loops.has(execution.arn)) return;
    const controller = new AbortController();
    const { clock, clockScale = 1, invoke, timing } = this.options;
    const run = runExecution({
      execution,
      definition,
      signal: controller.signal,
      identity: { account: this.account, region: this.region },
      clock,
      clockScale,
      invoke,
      timing: { waitScale: timing?.waitScale ?? 1, retryScale: timing?.retryScale ?? 1 },
      emit: (draft, mark) => this.emit(execution, draft, mark),
      write: (record) => (execution.status === 'RUNNING' ? this.write(record) : Promise.reject(new ExecutionClosed(execution.arn))),
      changed: (signal) => this.changed(execution.arn, signal),
      newToken: () => encodeToken(execution.arn),
    }).finally(() => controller.abort(new ExecutionClosed('finished')));
    const watchdog = this.watchTimeout(execution, definition, controller.signal);
    const done = Promise.all([run, watchdog])
      .then(() => undefined)
      .catch(async (err: unknown) => {
        if (err instanceof ExecutionClosed || err instanceof Shutdown) return;
        // Not a state's failure but the engine's (a journal write, a bug): fail the execution
        // rather than leave it RUNNING with nothing running it. The log names only the error
        // class; the cause, which may quote state data, goes where AWS puts causes: the history.
        this.options.log?.(`[local-cloud] states: execution ${execution.arn} broke (${(err as Error).name}); failing it`);
        await this.emit(execution, { type: 'ExecutionFailed', details: { error: 'States.Runtime', cause: `The local cloud could not run this execution: ${(err as Error).name}: ${(err as Error).message}` } }).catch(
          () => this.options.log?.(`[local-cloud] states: execution ${execution.arn} could not be recorded as failed; it resumes at the next start`),
        );
      })
      .finally(() => this.loops.delete(execution.arn));
    this.loops.set(execution.arn, { controller, done });
  }

  /** The definition's TimeoutSeconds: TIMED_OUT when it passes on the cloud's clock, whatever the execution is doing. */
  private async watchTimeout(execution: ExecutionState, definition: MachineDefinition, signal: AbortSignal): Promise<void> {
    if (definition.TimeoutSeconds === undefined) return;
    try {
      await sleepUntil(this.options.clock, execution.startDate + definition.TimeoutSeconds * 1000, signal, this.options.clockScale);
    } catch {
      return;
    }
    if (execution.status !== 'RUNNING') return;
    await this.emit(execution, { type: 'ExecutionTimedOut', details: { error: 'States.Timeout', cause: `The execution ran longer than its TimeoutSeconds (${definition.TimeoutSeconds}).` } });
    this.loops.get(execution.arn)?.controller.abort(new ExecutionClosed('timed out'));
  }
}
