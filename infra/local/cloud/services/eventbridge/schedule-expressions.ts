import { Cron } from 'croner';
import { AwsError } from '../../errors.ts';

/** A scheduled rule's ScheduleExpression, parsed once: when it fires on the cloud's clock. */
export type Schedule = { kind: 'rate'; everyMs: number } | { kind: 'cron'; cron: Cron };

const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const CRON_FIELD_MAX = [59, 23, 31, 12, 7, 2199];

const invalidSchedule = () => new AwsError('ValidationException', 'Parameter ScheduleExpression is not valid.');

/**
 * `rate(1 minute)`, `rate(5 minutes)`, `rate(2 hours)`, `rate(7 days)` (singular unit for 1, plural
 * otherwise), or `cron(minutes hours day-of-month month day-of-week year)` in UTC with `?` in one
 * of the day fields, `L`, `W`, `#`, day-of-week 1-7 = SUN-SAT.
 */
export function parseScheduleExpression(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1 || (value === 1) !== !unit.endsWith('s')) throw invalidSchedule();
    return { kind: 'rate', everyMs: value * RATE_UNITS[unit.replace(/s$/, '')]! };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  const fields = cron?.[1]!.trim().split(/\s+/);
  if (!fields || fields.length !== 6) throw invalidSchedule();
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) throw invalidSchedule();
  // croner wants `start-end/step` where EventBridge also writes `start/step`.
  const converted = fields.map((field, i) => field.replace(/^(\d+)\/(\d+)$/, (_, start: string, step: string) => `${start}-${CRON_FIELD_MAX[i]}/${step}`));
  try {
    return { kind: 'cron', cron: new Cron(`0 ${converted.join(' ')}`, { paused: true, timezone: 'UTC', mode: '7-part', alternativeWeekdays: true }) };
  } catch {
    throw invalidSchedule();
  }
}

/** The first time after `after` the schedule fires (rate() counts whole periods from `since`). */
export function nextFireAfter(schedule: Schedule, since: number, after: number): number | undefined {
  if (schedule.kind === 'rate') return since + (Math.floor(Math.max(0, after - since) / schedule.everyMs) + 1) * schedule.everyMs;
  return schedule.cron.nextRun(new Date(after))?.getTime();
}
