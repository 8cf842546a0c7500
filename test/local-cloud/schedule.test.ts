import { describe, expect, it } from 'vitest';
import { automaticallyAfterDays, nextWindow, parseRules, ScheduleError, type RotationRules } from '../../infra/local/cloud/services/secretsmanager/schedule.ts';

// The local cloud's own reading of rotation schedules, checked against the examples in AWS's
// Secrets Manager user guide ("Rotation schedules": rate and cron expressions, windows).

const at = Date.parse;
const iso = (ms: number) => new Date(ms).toISOString();
const NOW = at('2026-01-01T00:00:00Z'); // a Thursday

/** The next `n` windows of a schedule configured at NOW, as [start, end]. */
function windows(rules: RotationRules, n = 3, since = NOW): Array<[string, string]> {
  const schedule = parseRules(rules, since);
  const out: Array<[string, string]> = [];
  let from = since;
  for (let i = 0; i < n; i++) {
    const w = nextWindow(schedule, from, from)!;
    out.push([iso(w.start), iso(w.end)]);
    from = w.start;
  }
  return out;
}

describe('rate expressions', () => {
  it('rate(4 hours): windows open at midnight and every four hours, closing after one hour', () => {
    expect(windows({ ScheduleExpression: 'rate(4 hours)' }, 7, at('2026-01-01T00:30:00Z'))).toEqual([
      ['2026-01-01T04:00:00.000Z', '2026-01-01T05:00:00.000Z'],
      ['2026-01-01T08:00:00.000Z', '2026-01-01T09:00:00.000Z'],
      ['2026-01-01T12:00:00.000Z', '2026-01-01T13:00:00.000Z'],
      ['2026-01-01T16:00:00.000Z', '2026-01-01T17:00:00.000Z'],
      ['2026-01-01T20:00:00.000Z', '2026-01-01T21:00:00.000Z'],
      ['2026-01-02T00:00:00.000Z', '2026-01-02T01:00:00.000Z'],
      ['2026-01-02T04:00:00.000Z', '2026-01-02T05:00:00.000Z'],
    ]);
  });

  it('rate(1 day) and rate(10 days): the window is the whole UTC day, counted from the last rotation', () => {
    expect(windows({ ScheduleExpression: 'rate(1 day)' }, 2, at('2026-01-01T15:00:00Z'))).toEqual([
      ['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'],
      ['2026-01-03T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
    ]);
    expect(windows({ ScheduleExpression: 'rate(10 days)' }, 1, at('2026-01-01T15:00:00Z'))).toEqual([['2026-01-11T00:00:00.000Z', '2026-01-12T00:00:00.000Z']]);
    expect(windows({ AutomaticallyAfterDays: 30 }, 1, at('2026-01-10T15:00:00Z'))).toEqual([['2026-02-09T00:00:00.000Z', '2026-02-10T00:00:00.000Z']]);
  });

  it('a Duration shortens the window', () => {
    expect(windows({ ScheduleExpression: 'rate(10 days)', Duration: '3h' }, 1)).toEqual([['2026-01-11T00:00:00.000Z', '2026-01-11T03:00:00.000Z']]);
    expect(windows({ ScheduleExpression: 'rate(12 hours)', Duration: '2h' }, 2, at('2026-01-01T01:00:00Z'))).toEqual([
      ['2026-01-01T12:00:00.000Z', '2026-01-01T14:00:00.000Z'],
      ['2026-01-02T00:00:00.000Z', '2026-01-02T02:00:00.000Z'],
    ]);
  });
});

describe('cron expressions: the user guide examples', () => {
  it.each([
    ['every day at 10:00 AM', 'cron(0 10 * * ? *)', ['2026-01-01T10:00:00.000Z', '2026-01-02T10:00:00.000Z', '2026-01-03T10:00:00.000Z']],
    ['every Saturday at 6:00 PM', 'cron(0 18 ? * SAT *)', ['2026-01-03T18:00:00.000Z', '2026-01-10T18:00:00.000Z', '2026-01-17T18:00:00.000Z']],
    ['the first day of every month at 8:00 AM', 'cron(0 8 1 * ? *)', ['2026-01-01T08:00:00.000Z', '2026-02-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z']],
    ['every three months on Sunday at 1:00 AM', 'cron(0 1 * 1/3 SUN *)', ['2026-01-04T01:00:00.000Z', '2026-01-11T01:00:00.000Z', '2026-01-18T01:00:00.000Z']],
    ['the last day of every month at 5:00 PM', 'cron(0 17 L * ? *)', ['2026-01-31T17:00:00.000Z', '2026-02-28T17:00:00.000Z', '2026-03-31T17:00:00.000Z']],
    ['Monday through Friday at 8:00 AM', 'cron(0 8 ? * MON-FRI *)', ['2026-01-01T08:00:00.000Z', '2026-01-02T08:00:00.000Z', '2026-01-05T08:00:00.000Z']],
    ['the 1st and 15th day of every month at 4:00 PM', 'cron(0 16 1,15 * ? *)', ['2026-01-01T16:00:00.000Z', '2026-01-15T16:00:00.000Z', '2026-02-01T16:00:00.000Z']],
    ['the first Sunday of every month at midnight', 'cron(0 0 ? * SUN#1 *)', ['2026-01-04T00:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']],
  ])('%s: %s', (_what, expression, starts) => {
    expect(windows({ ScheduleExpression: expression }).map(([start]) => start)).toEqual(starts);
  });

  it('an hourly cron resets every day: cron(0 4/12 * * ? *) opens at 4 AM and 4 PM, each window one hour', () => {
    expect(windows({ ScheduleExpression: 'cron(0 4/12 * * ? *)' }, 3)).toEqual([
      ['2026-01-01T04:00:00.000Z', '2026-01-01T05:00:00.000Z'],
      ['2026-01-01T16:00:00.000Z', '2026-01-01T17:00:00.000Z'],
      ['2026-01-02T04:00:00.000Z', '2026-01-02T05:00:00.000Z'],
    ]);
  });

  it('a cron in days keeps its window to the end of the day unless a Duration is set', () => {
    expect(windows({ ScheduleExpression: 'cron(0 8 1 * ? *)' }, 1)).toEqual([['2026-01-01T08:00:00.000Z', '2026-01-02T00:00:00.000Z']]);
    expect(windows({ ScheduleExpression: 'cron(0 8 1 * ? *)', Duration: '4h' }, 1)).toEqual([['2026-01-01T08:00:00.000Z', '2026-01-01T12:00:00.000Z']]);
  });

  it('reports the AutomaticallyAfterDays the service derives from a schedule', () => {
    expect(automaticallyAfterDays(parseRules({ ScheduleExpression: 'cron(0 18 ? * SAT *)' }, NOW), NOW)).toBe(7);
    expect(automaticallyAfterDays(parseRules({ ScheduleExpression: 'rate(14 days)' }, NOW), NOW)).toBe(14);
    expect(automaticallyAfterDays(parseRules({ ScheduleExpression: 'rate(8 hours)' }, NOW), NOW)).toBeUndefined();
  });
});

describe('windows that were missed', () => {
  it('are skipped, never run late: a rotation only starts inside a window', () => {
    const schedule = parseRules({ ScheduleExpression: 'rate(1 days)', Duration: '2h' }, NOW);
    const w = nextWindow(schedule, at('2026-01-01T10:00:00Z'), at('2026-03-05T12:00:00Z'))!;
    expect([iso(w.start), iso(w.end)]).toEqual(['2026-03-06T00:00:00.000Z', '2026-03-06T02:00:00.000Z']);
    const daily = parseRules({ AutomaticallyAfterDays: 1 }, NOW);
    const today = nextWindow(daily, at('2026-01-01T10:00:00Z'), at('2026-03-05T12:00:00Z'))!;
    expect([iso(today.start), iso(today.end)]).toEqual(['2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z']);
  });
});

describe('rules RotateSecret refuses', () => {
  it.each([
    [{ ScheduleExpression: 'rate(3 hours)' }, /every 4 hours/],
    [{ ScheduleExpression: 'rate(0 days)' }, /positive/],
    [{ ScheduleExpression: 'rate(1000 days)' }, /999 days/],
    [{ ScheduleExpression: 'every day' }, /rate\(N hours\)/],
    [{ ScheduleExpression: 'cron(0 8 * * ?)' }, /6 fields/],
    [{ ScheduleExpression: 'cron(30 8 * * ? *)' }, /on the hour/],
    [{ ScheduleExpression: 'cron(0 8 * * * *)' }, /"\?"/],
    [{ ScheduleExpression: 'cron(0 8 ? * ? *)' }, /"\?"/],
    [{ ScheduleExpression: 'cron(0 8 1 * MON *)' }, /"\?"/],
    [{ ScheduleExpression: 'cron(0 1,3 * * ? *)' }, /every 4 hours/],
    [{ ScheduleExpression: 'cron(0 0 30 2 ? *)' }, /never/],
    [{ ScheduleExpression: 'cron(0 22 * * ? *)', Duration: '3h' }, /next UTC day/],
    [{ ScheduleExpression: 'rate(4 hours)', Duration: '5h' }, /next rotation window/],
    [{ ScheduleExpression: 'rate(1 days)', Duration: '25h' }, /1h to 24h/],
    [{ AutomaticallyAfterDays: 3, ScheduleExpression: 'rate(3 days)' }, /both rotation frequency and schedule expression/],
    [{ AutomaticallyAfterDays: 3, Duration: '2h' }, /ScheduleExpression/],
    [{}, /needs/],
  ])('%j', (rules, message) => {
    expect(() => parseRules(rules, NOW)).toThrow(ScheduleError);
    expect(() => parseRules(rules, NOW)).toThrow(message);
  });
});
