import { afterEach } from 'vitest';
import { StatesEngine } from '../../infra/local/cloud/services/states/engine.ts';
import type { Journal, StatesRecord } from '../../infra/local/cloud/services/states/model.ts';
import { StepFunctionsService } from '../../infra/local/cloud/services/states/operations.ts';
import type { Invoke } from '../../infra/local/cloud/services/states/task-resources.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/states`;
export const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

/** A journal in memory that can be "restarted": a new engine loads what the old one appended. */
export class MemoryJournal<R> implements Journal<R> {
  records: R[] = [];
  async load(): Promise<R[]> {
    return structuredClone(this.records);
  }
  async append(...records: R[]): Promise<void> {
    this.records.push(...structuredClone(records));
  }
}

/** A clock the test moves; it starts at a fixed date so histories are reproducible. */
export class ManualClock {
  constructor(public ms = Date.parse('2026-01-05T10:00:00Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface Harness {
  engine: StatesEngine;
  ops: Record<string, (input: unknown) => Promise<unknown>>;
  journal: MemoryJournal<StatesRecord>;
  call<T = Record<string, unknown>>(operation: string, input: unknown): Promise<T>;
}

export async function openStates(options: {
  invoke?: Invoke;
  journal?: MemoryJournal<StatesRecord>;
  clock?: { now(): number };
  timing?: { waitScale?: number; retryScale?: number };
  start?: boolean;
  log?: (line: string) => void;
}): Promise<Harness> {
  const journal = options.journal ?? new MemoryJournal<StatesRecord>();
  const engine = await StatesEngine.open({
    account: ACCOUNT,
    region: REGION,
    clock: options.clock ?? { now: () => Date.now() },
    journal,
    invoke: options.invoke ?? (async () => ({ payload: {} })),
    timing: options.timing ?? { waitScale: 0.001, retryScale: 0.001 },
    log: options.log ?? ((line) => console.error(line)),
  });
  if (options.start !== false) engine.start();
  const ops = new StepFunctionsService(engine).operations();
  return {
    engine,
    ops,
    journal,
    call: async <T>(operation: string, input: unknown) => (await ops[operation]!(input)) as T,
  };
}

/** Creates a machine from a definition object and starts one execution of it. */
export async function startWith(h: Harness, definition: object, input: unknown = {}, name?: string): Promise<string> {
  const machineName = `m${Math.random().toString(36).slice(2, 10)}`;
  const { stateMachineArn } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: machineName, definition: JSON.stringify(definition), roleArn: ROLE });
  const { executionArn } = await h.call<{ executionArn: string }>('StartExecution', { stateMachineArn, input: JSON.stringify(input), ...(name ? { name } : {}) });
  return executionArn;
}

export async function finished(h: Harness, executionArn: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await h.call('DescribeExecution', { executionArn });
    if (described.status !== 'RUNNING') return described;
    if (Date.now() > deadline) throw new Error(`execution still RUNNING after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function historyTypes(h: Harness, executionArn: string): Promise<string[]> {
  const { events } = await h.call<{ events: Array<{ type: string }> }>('GetExecutionHistory', { executionArn, maxResults: 1000 });
  return events.map((e) => e.type);
}

export async function history(h: Harness, executionArn: string): Promise<Array<Record<string, unknown> & { type: string; id: number }>> {
  const { events } = await h.call<{ events: Array<Record<string, unknown> & { type: string; id: number }> }>('GetExecutionHistory', { executionArn, maxResults: 1000 });
  return events;
}

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The harnesses of one test file: each one opened is stopped after its test. */
export function statesHarnesses(): (options?: Parameters<typeof openStates>[0]) => Promise<Harness> {
  const open: Harness[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.engine.stop()));
  });
  return async (options = {}) => {
    const h = await openStates(options);
    open.push(h);
    return h;
  };
}
