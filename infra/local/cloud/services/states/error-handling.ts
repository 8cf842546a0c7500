import type { Catcher, Retrier } from './definition.ts';

/**
 * An error a state reports, by its ASL error name (`States.Timeout`, a Lambda's `errorType`, ...)
 * and cause. `retryable`/`catchable` are false for the terminal errors no Retry or Catch may handle.
 */
export class StateFailure extends Error {
  constructor(
    readonly error: string | undefined,
    override readonly cause: string | undefined,
    readonly retryable = true,
    readonly catchable = true,
  ) {
    super(cause ?? error ?? 'the state failed');
    this.name = error ?? 'States.Unknown';
  }
}

const TERMINAL = new Set(['States.Runtime', 'States.DataLimitExceeded']);
const TIMEOUTS = new Set(['States.Timeout', 'States.HeartbeatTimeout']);

/**
 * Whether one `ErrorEquals` list names `error`, as the States Language defines the wildcards:
 * `States.ALL` matches everything but the terminal errors; `States.TaskFailed` matches any error
 * of a Task except its timeouts; `States.Timeout` also names a heartbeat timeout.
 */
export function errorMatches(errorEquals: string[], error: string, stateType: string): boolean {
  return errorEquals.some(
    (name) =>
      name === error ||
      (name === 'States.ALL' && !TERMINAL.has(error)) ||
      (name === 'States.TaskFailed' && stateType === 'Task' && !TIMEOUTS.has(error) && !TERMINAL.has(error)) ||
      (name === 'States.Timeout' && error === 'States.HeartbeatTimeout'),
  );
}

export interface RetryDecision {
  retrier: number;
  delayMs: number;
  /** The counters after this retry, one per retrier (they start again at each entry into the state). */
  attempts: number[];
}

/**
 * The first retrier naming the error decides: it retries while its attempts last (later retriers are
 * not consulted once it is exhausted). Delay = IntervalSeconds x BackoffRate^attempt, capped by
 * MaxDelaySeconds, drawn from [0, delay] with FULL jitter.
 */
export function retryDecision(
  retriers: Retrier[] | undefined,
  failure: StateFailure,
  stateType: string,
  attempts: number[],
  random: () => number = Math.random,
): RetryDecision | undefined {
  if (!retriers || !failure.retryable || failure.error === undefined) return undefined;
  const index = retriers.findIndex((r) => errorMatches(r.ErrorEquals, failure.error!, stateType));
  if (index < 0) return undefined;
  const retrier = retriers[index]!;
  const done = attempts[index] ?? 0;
  if (done >= (retrier.MaxAttempts ?? 3)) return undefined;
  let delay = (retrier.IntervalSeconds ?? 1) * 1000 * Math.pow(retrier.BackoffRate ?? 2, done);
  if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds * 1000);
  if (retrier.JitterStrategy === 'FULL') delay = random() * delay;
  const next = retriers.map((_, i) => attempts[i] ?? 0);
  next[index] = done + 1;
  return { retrier: index, delayMs: delay, attempts: next };
}

export function catcherFor(catchers: Catcher[] | undefined, failure: StateFailure, stateType: string): Catcher | undefined {
  if (!catchers || !failure.catchable || failure.error === undefined) return undefined;
  return catchers.find((c) => errorMatches(c.ErrorEquals, failure.error!, stateType));
}
