import { describe, expect, it } from 'vitest';
import { derivedAutomaticallyAfterDays, nextWindow, parseRotationRules, ScheduleError } from '../../shared/schedule/rotation-schedule.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const windowOf = (rules: Parameters<typeof parseRotationRules>[0], since: string, now = since) => {
  const w = nextWindow(parseRotationRules(rules), at(since), at(now))!;
  return [iso(w.start), iso(w.end)];
};

describe('rotation windows', () => {
  it('AutomaticallyAfterDays opens at midnight UTC N days after the last rotation and closes at the end of that day', () => {
    expect(windowOf({ AutomaticallyAfterDays: 30 }, '2026-01-10T15:00:00Z')).toEqual(['2026-02-09T00:00:00.000Z', '2026-02-10T00:00:00.000Z']);
  });

  it('rate(N days) with a Duration closes after Duration', () => {
    expect(windowOf({ ScheduleExpression: 'rate(10 days)', Duration: '3h' }, '2026-01-10T15:00:00Z')).toEqual(['2026-01-20T00:00:00.000Z', '2026-01-20T03:00:00.000Z']);
  });

  it('rate(N hours) slots start at midnight UTC every N hours; the default window is one hour', () => {
    expect(windowOf({ ScheduleExpression: 'rate(6 hours)' }, '2026-01-10T13:30:00Z')).toEqual(['2026-01-10T18:00:00.000Z', '2026-01-10T19:00:00.000Z']);
    expect(windowOf({ ScheduleExpression: 'rate(6 hours)' }, '2026-01-10T19:30:00Z')).toEqual(['2026-01-11T00:00:00.000Z', '2026-01-11T01:00:00.000Z']);
  });

  it('cron uses the EventBridge dialect: weekdays 1-7 from Sunday, L, #, and a year field', () => {
    expect(windowOf({ ScheduleExpression: 'cron(0 4 ? * 2 *)', Duration: '2h' }, '2026-11-22T06:00:00Z')[0]).toBe('2026-11-23T04:00:00.000Z'); // Monday
    expect(windowOf({ ScheduleExpression: 'cron(0 16 L * ? *)' }, '2026-02-03T00:00:00Z')).toEqual(['2026-02-28T16:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    expect(windowOf({ ScheduleExpression: 'cron(0 10 ? * 6#3 *)', Duration: '1h' }, '2026-11-01T00:00:00Z')[0]).toBe('2026-11-20T10:00:00.000Z'); // third Friday
    expect(windowOf({ ScheduleExpression: 'cron(0 10 1 1 ? 2030)' }, '2026-11-01T00:00:00Z')[0]).toBe('2030-01-01T10:00:00.000Z');
  });

  it('skips a window that closed while nobody was looking, and never starts outside one', () => {
    // last rotation long ago on a 1-day schedule: the next open window is today's
    expect(windowOf({ AutomaticallyAfterDays: 1 }, '2026-01-01T10:00:00Z', '2026-03-05T12:00:00Z')).toEqual(['2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z']);
    expect(windowOf({ ScheduleExpression: 'rate(1 days)', Duration: '2h' }, '2026-01-01T10:00:00Z', '2026-03-05T12:00:00Z')).toEqual([
      '2026-03-06T00:00:00.000Z',
      '2026-03-06T02:00:00.000Z',
    ]);
  });

  it('reports the AutomaticallyAfterDays the service derives', () => {
    expect(derivedAutomaticallyAfterDays(parseRotationRules({ ScheduleExpression: 'rate(14 days)' }).cadence)).toBe(14);
    expect(derivedAutomaticallyAfterDays(parseRotationRules({ ScheduleExpression: 'cron(0 4 ? * MON *)' }).cadence)).toBe(7);
    expect(derivedAutomaticallyAfterDays(parseRotationRules({ ScheduleExpression: 'rate(8 hours)' }).cadence)).toBeUndefined();
  });
});

describe('rule validation', () => {
  it.each([
    [{ ScheduleExpression: 'rate(0 days)' }, /positive/],
    [{ ScheduleExpression: 'rate(3 hours)' }, /every 4 hours/],
    [{ ScheduleExpression: 'rate(1001 days)' }, /1000 days/],
    [{ ScheduleExpression: 'rate(30 hours)' }, /rate\(N days\)/],
    [{ ScheduleExpression: 'every day' }, /rate\(N hours\)/],
    [{ ScheduleExpression: 'cron(0 8 * * ?)' }, /6 fields/],
    [{ ScheduleExpression: 'cron(0 8 * * * *)' }, /exactly one/],
    [{ ScheduleExpression: 'cron(0 8 ? * ? *)' }, /exactly one/],
    [{ ScheduleExpression: 'cron(0 61 * * ? *)' }, /hour/],
    [{ ScheduleExpression: 'cron(0 1,3 * * ? *)' }, /every 4 hours/],
    [{ ScheduleExpression: 'cron(0 10 1 1 ? 2001)' }, /never fires again/],
    [{ ScheduleExpression: 'cron(0 22 * * ? *)', Duration: '3h' }, /next UTC day/],
    [{ ScheduleExpression: 'rate(4 hours)', Duration: '5h' }, /next rotation window/],
    [{ ScheduleExpression: 'rate(1 days)', Duration: '25h' }, /1h to 24h/],
    [{ ScheduleExpression: 'rate(1 days)', Duration: '0h' }, /1h to 24h/],
    [{ AutomaticallyAfterDays: 0 }, /1 to 1000/],
    [{ AutomaticallyAfterDays: 1.5 }, /whole number/],
    [{ AutomaticallyAfterDays: 3, ScheduleExpression: 'rate(3 days)' }, /not both/],
    [{ AutomaticallyAfterDays: 3, Duration: '2h' }, /ScheduleExpression/],
    [{}, /needs/],
  ])('rejects %j', (rules, message) => {
    const now = Date.UTC(2026, 10, 22);
    expect(() => parseRotationRules(rules, { now })).toThrow(ScheduleError);
    expect(() => parseRotationRules(rules, { now })).toThrow(message);
  });

  it('reads back stored rules whose last run has passed as having no next window', () => {
    const rules = { ScheduleExpression: 'cron(0 10 1 12 ? 2026)' };
    expect(() => parseRotationRules(rules, { now: Date.UTC(2026, 10, 22) })).not.toThrow();
    const schedule = parseRotationRules(rules);
    expect(nextWindow(schedule, Date.UTC(2026, 11, 2), Date.UTC(2026, 11, 2))).toBeUndefined();
  });

  it('accepts the schedules AWS documents', () => {
    for (const rules of [
      { AutomaticallyAfterDays: 1 },
      { AutomaticallyAfterDays: 1000 },
      { ScheduleExpression: 'rate(4 hours)' },
      { ScheduleExpression: 'rate(1 day)' },
      { ScheduleExpression: 'rate(24 hours)', Duration: '24h' },
      { ScheduleExpression: 'cron(0 8 1 * ? *)', Duration: '4h' },
      { ScheduleExpression: 'cron(0 */4 * * ? *)' },
      { ScheduleExpression: 'cron(0 0 ? * SAT#2 *)' },
    ]) {
      expect(() => parseRotationRules(rules)).not.toThrow();
    }
  });
});
