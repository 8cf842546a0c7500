import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catcherFor, errorMatches, retryDecision, StateFailure } from '../../infra/local/cloud/services/states/error-handling.ts';

const failure = (error: string, retryable = true) => new StateFailure(error, 'why', retryable, retryable);

describe('error names in Retry and Catch', () => {
  it('matches names exactly, and the wildcards as the States Language defines them', () => {
    expect(errorMatches(['Throttled'], 'Throttled', 'Task')).toBe(true);
    expect(errorMatches(['Throttled'], 'throttled', 'Task')).toBe(false);
    expect(errorMatches(['States.ALL'], 'Lambda.ServiceException', 'Task')).toBe(true);
    expect(errorMatches(['States.ALL'], 'States.Runtime', 'Task')).toBe(false);
    expect(errorMatches(['States.ALL'], 'States.DataLimitExceeded', 'Task')).toBe(false);
    expect(errorMatches(['States.TaskFailed'], 'AuthenticationFailed', 'Task')).toBe(true);
    expect(errorMatches(['States.TaskFailed'], 'States.Timeout', 'Task')).toBe(false);
    expect(errorMatches(['States.TaskFailed'], 'States.HeartbeatTimeout', 'Task')).toBe(false);
    expect(errorMatches(['States.TaskFailed'], 'States.BranchFailed', 'Parallel')).toBe(false);
    expect(errorMatches(['States.Timeout'], 'States.HeartbeatTimeout', 'Task')).toBe(true);
  });

  it('lets the first retrier naming the error decide, even when it is exhausted', () => {
    const retriers = [
      { ErrorEquals: ['Throttled'], MaxAttempts: 1, IntervalSeconds: 1 },
      { ErrorEquals: ['States.ALL'], MaxAttempts: 5, IntervalSeconds: 1 },
    ];
    expect(retryDecision(retriers, failure('Throttled'), 'Task', [])).toMatchObject({ retrier: 0, attempts: [1, 0] });
    expect(retryDecision(retriers, failure('Throttled'), 'Task', [1, 0])).toBeUndefined();
    expect(retryDecision(retriers, failure('Other'), 'Task', [1, 0])).toMatchObject({ retrier: 1, attempts: [1, 1] });
  });

  it('backs off by BackoffRate from IntervalSeconds, capped by MaxDelaySeconds', () => {
    const retrier = { ErrorEquals: ['E'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 10, MaxDelaySeconds: 50 };
    const delays = [0, 1, 2, 3].map((done) => retryDecision([retrier], failure('E'), 'Task', [done])!.delayMs);
    expect(delays).toEqual([2000, 6000, 18_000, 50_000]);
    expect(retryDecision([{ ErrorEquals: ['E'] }], failure('E'), 'Task', [])!.delayMs).toBe(1000);
    expect(retryDecision([{ ErrorEquals: ['E'] }], failure('E'), 'Task', [3])).toBeUndefined();
    expect(retryDecision([{ ErrorEquals: ['E'], MaxAttempts: 0 }], failure('E'), 'Task', [])).toBeUndefined();
  });

  it('draws a FULL-jitter delay between 0 and the backoff delay', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 5 }), (random, done) => {
        const decision = retryDecision([{ ErrorEquals: ['E'], IntervalSeconds: 2, MaxAttempts: 10, JitterStrategy: 'FULL' }], failure('E'), 'Task', [done], () => random)!;
        expect(decision.delayMs).toBeGreaterThanOrEqual(0);
        expect(decision.delayMs).toBeLessThanOrEqual(2000 * 2 ** done);
      }),
    );
  });

  it('never retries or catches a terminal error', () => {
    const terminal = failure('States.Runtime', false);
    expect(retryDecision([{ ErrorEquals: ['States.Runtime'] }], terminal, 'Task', [])).toBeUndefined();
    expect(catcherFor([{ ErrorEquals: ['States.Runtime'], Next: 'X' }], terminal, 'Task')).toBeUndefined();
  });

  it('picks the first catcher naming the error', () => {
    const catchers = [
      { ErrorEquals: ['States.Timeout'], Next: 'Late' },
      { ErrorEquals: ['States.ALL'], Next: 'Any' },
    ];
    expect(catcherFor(catchers, failure('States.HeartbeatTimeout'), 'Task')?.Next).toBe('Late');
    expect(catcherFor(catchers, failure('Boom'), 'Task')?.Next).toBe('Any');
    expect(catcherFor(undefined, failure('Boom'), 'Task')).toBeUndefined();
  });
});
