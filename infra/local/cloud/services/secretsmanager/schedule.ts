import { Cron } from 'croner';

/**
 * Rotation schedules as Secrets Manager evaluates them (its user guide, "Rotation schedules"):
 * `AutomaticallyAfterDays`, `rate(N hours|days)` and `cron(...)`, each with a rotation window.
 *
 * - Windows open on the hour, in UTC. A schedule in days opens its window at midnight and, by
 *   default, closes it at the end of that day; a schedule in hours closes it after one hour;
 *   `Duration` ("3h") sets the length instead. A window may not reach into the next UTC day nor
 *   into the next window.
 * - Hour rates restart every midnight: rate(5 hours) opens at 00, 05, 10, 15, 20 h.
 * - Day schedules count from the last rotation (or value change) to the day N days later.
 * - cron is the EventBridge dialect: minutes (always 0), hours, day-of-month, month, day-of-week
 *   (1-7 from Sunday, `L`, `#`), year; `?` in one of the day fields. The guide's own example
 *   `cron(0 1 * 1/3 SUN *)` leaves `*` where `?` belongs, so `*` there counts as `?`.
 */

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  ScheduleExpression?: string;
  Duration?: string;
}

export type Cadence =
  | { kind: 'days'; days: number; fromRate: boolean }
  | { kind: 'hours'; hours: number }
  | { kind: 'cron'; expression: string; cron: Cron; hourly: boolean };

export interface Schedule {
  cadence: Cadence;
  /** Window length from `Duration`; otherwise the default of the cadence. */
  durationMs?: number;
}

export interface Window {
  start: number;
  end: number;
}

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MIN_HOURS = 4;
const MAX_AFTER_DAYS = 1000;
const MAX_RATE_DAYS = 999;

const startOfDay = (ms: number) => Math.floor(ms / DAY) * DAY;

function parseDuration(text: string): number {
  const hours = /^(\d{1,2})h$/.exec(text) ? Number(text.slice(0, -1)) : NaN;
  if (!(hours >= 1 && hours <= 24)) throw new ScheduleError(`The Duration ${text} is not valid: use whole hours from 1h to 24h, such as 3h.`);
  return hours * HOUR;
}

function parseRate(text: string, amount: number, unit: string): Cadence {
  if (amount < 1) throw new ScheduleError(`The schedule expression ${text} is not valid: the rate must be a positive whole number.`);
  if (unit.startsWith('day')) {
    if (amount > MAX_RATE_DAYS) throw new ScheduleError(`The schedule expression ${text} is not valid: the longest rotation period is ${MAX_RATE_DAYS} days.`);
    return { kind: 'days', days: amount, fromRate: true };
  }
  if (amount < MIN_HOURS) throw new ScheduleError(`The schedule expression ${text} is not valid: you can rotate a secret at most every ${MIN_HOURS} hours.`);
  if (amount % 24 === 0) return { kind: 'days', days: amount / 24, fromRate: true };
  if (amount > 24) throw new ScheduleError(`The schedule expression ${text} is not valid: for more than a day, use rate(N days).`);
  return { kind: 'hours', hours: amount };
}

function parseCron(text: string, body: string): Cadence {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleError(`The schedule expression ${text} is not valid: cron takes 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}.`);
  }
  const [minutes, , dayOfMonth, , dayOfWeek] = fields as [string, string, string, string, string, string];
  if (minutes !== '0') throw new ScheduleError(`The schedule expression ${text} is not valid: rotation windows open on the hour, so minutes must be 0.`);
  const restricted = (field: string) => field !== '?' && field !== '*';
  const questionMarks = [dayOfMonth, dayOfWeek].filter((f) => f === '?').length;
  if (questionMarks === 2 || (restricted(dayOfMonth) && restricted(dayOfWeek)) || (!restricted(dayOfMonth) && !restricted(dayOfWeek) && questionMarks === 0)) {
    throw new ScheduleError(`The schedule expression ${text} is not valid: put "?" in one of day-of-month and day-of-week and a value in the other.`);
  }
  let cron: Cron;
  try {
    // Day fields combine with AND once "?" reads as "*": that is what "?" means here.
    cron = new Cron(`0 ${fields.map((f) => (f === '?' ? '*' : f)).join(' ')}`, {
      timezone: 'UTC',
      paused: true,
      mode: '7-part',
      alternativeWeekdays: true,
      domAndDow: true,
      sloppyRanges: true,
    });
  } catch (err) {
    throw new ScheduleError(`The schedule expression ${text} is not valid: ${(err as Error).message}.`);
  }
  const runs = cron.nextRuns(48, new Date(0)).map((d) => d.getTime());
  if (runs.length === 0) throw new ScheduleError(`The schedule expression ${text} is not valid: it never matches a date.`);
  let shortest = Infinity;
  for (let i = 1; i < runs.length; i++) shortest = Math.min(shortest, runs[i]! - runs[i - 1]!);
  if (shortest < MIN_HOURS * HOUR) throw new ScheduleError(`The schedule expression ${text} is not valid: you can rotate a secret at most every ${MIN_HOURS} hours.`);
  return { kind: 'cron', expression: text, cron, hourly: shortest < DAY };
}

function parseExpression(expression: string): Cadence {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+(hours?|days?)\s*\)$/.exec(text);
  if (rate) return parseRate(text, Number(rate[1]), rate[2]!);
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return parseCron(text, cron[1]!);
  throw new ScheduleError(`The schedule expression ${text} is not valid: use rate(N hours), rate(N days) or cron(0 hours day-of-month month day-of-week year).`);
}

/** The window starting at `start`. */
function windowAt(schedule: Schedule, start: number): Window {
  const { cadence, durationMs } = schedule;
  if (durationMs !== undefined) return { start, end: start + durationMs };
  const inHours = cadence.kind === 'hours' || (cadence.kind === 'cron' && cadence.hourly);
  return { start, end: inHours ? start + HOUR : startOfDay(start) + DAY };
}

/** Window starts later than `after`, in order (day schedules: the due day, then each later day). */
function* startsAfter(schedule: Schedule, after: number, dueFrom?: number): Generator<number> {
  const { cadence } = schedule;
  if (cadence.kind === 'days') {
    for (let start = dueFrom ?? startOfDay(after) + cadence.days * DAY; ; start += DAY) if (start > after) yield start;
  } else if (cadence.kind === 'hours') {
    for (let day = startOfDay(after); ; day += DAY) {
      for (let offset = 0; offset < DAY; offset += cadence.hours * HOUR) if (day + offset > after) yield day + offset;
    }
  } else {
    for (let from = after; ; ) {
      const next = cadence.cron.nextRun(new Date(from));
      if (!next) return;
      from = next.getTime();
      yield from;
    }
  }
}

function checkWindows(schedule: Schedule, from: number): void {
  const probe = startOfDay(from) - 1;
  const starts: number[] = [];
  for (const start of startsAfter(schedule, probe)) if (starts.push(start) >= 48) break;
  starts.forEach((start, i) => {
    const { end } = windowAt(schedule, start);
    if (end > startOfDay(start) + DAY) throw new ScheduleError('The rotation window must not extend into the next UTC day: shorten the Duration or open the window earlier.');
    const next = schedule.cadence.kind === 'days' ? start + schedule.cadence.days * DAY : starts[i + 1];
    if (next !== undefined && end > next) throw new ScheduleError('The rotation window must not extend into the next rotation window: shorten the Duration.');
  });
}

/**
 * Validates rotation rules as RotateSecret does and returns their schedule; `now` (when the rules
 * are being set) also requires the schedule to fire again.
 */
export function parseRules(rules: RotationRules, now: number): Schedule {
  const days = rules.AutomaticallyAfterDays ?? undefined;
  const expression = rules.ScheduleExpression ?? undefined;
  if (days !== undefined && expression !== undefined) throw new ScheduleError('You cannot specify both rotation frequency and schedule expression together.');
  let cadence: Cadence;
  if (days !== undefined) {
    if (!Number.isInteger(days) || days < 1 || days > MAX_AFTER_DAYS) throw new ScheduleError(`AutomaticallyAfterDays must be a whole number from 1 to ${MAX_AFTER_DAYS}.`);
    cadence = { kind: 'days', days, fromRate: false };
  } else if (expression !== undefined) {
    cadence = parseExpression(expression);
  } else {
    throw new ScheduleError('RotationRules needs AutomaticallyAfterDays or ScheduleExpression.');
  }
  const schedule: Schedule = { cadence };
  if (rules.Duration !== undefined && rules.Duration !== null) {
    if (days !== undefined) throw new ScheduleError('A Duration needs a ScheduleExpression: use ScheduleExpression rate(N days) in place of AutomaticallyAfterDays.');
    schedule.durationMs = parseDuration(rules.Duration);
  }
  if (cadence.kind === 'cron' && !cadence.cron.nextRun(new Date(now))) throw new ScheduleError(`The schedule expression ${cadence.expression} never fires again.`);
  checkWindows(schedule, now);
  return schedule;
}

const parsed = new Map<string, Schedule>();

/** Rules stored earlier, read back (parsed once per distinct rule set). */
export function storedSchedule(rules: RotationRules): Schedule {
  const key = JSON.stringify([rules.AutomaticallyAfterDays, rules.ScheduleExpression, rules.Duration]);
  let schedule = parsed.get(key);
  if (!schedule) {
    // Stored rules were valid when set; reading them back must not depend on today's date.
    schedule = parseRules(rules, 0);
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(key, schedule);
  }
  return schedule;
}

/**
 * The first window after the rotation (or configuration) at `since` that is still open at `now`.
 * A window that closed unseen (the cloud was stopped) is skipped rather than run late, so a
 * rotation never starts outside a window; a missed day schedule is due again the next midnight.
 */
export function nextWindow(schedule: Schedule, since: number, now: number): Window | undefined {
  const { cadence } = schedule;
  // No window lasts longer than a day: one ending after `now` starts after now - 1 day.
  const earliest = Math.max(since, now - DAY);
  const dueFrom = cadence.kind === 'days' ? Math.max(startOfDay(since) + cadence.days * DAY, startOfDay(earliest)) : undefined;
  let guard = 0;
  for (const start of startsAfter(schedule, cadence.kind === 'days' ? since : earliest, dueFrom)) {
    const window = windowAt(schedule, start);
    if (window.end > now) return window;
    if (++guard > 10_000) break;
  }
  return undefined;
}

/** The AutomaticallyAfterDays that DescribeSecret reports for a schedule (none for hour schedules). */
export function automaticallyAfterDays(schedule: Schedule, now: number): number | undefined {
  const { cadence } = schedule;
  if (cadence.kind === 'days') return cadence.days;
  if (cadence.kind === 'hours') return undefined;
  const [a, b] = cadence.cron.nextRuns(2, new Date(now));
  if (!a || !b) return undefined;
  const days = Math.round((b.getTime() - a.getTime()) / DAY);
  return days >= 1 ? days : undefined;
}
