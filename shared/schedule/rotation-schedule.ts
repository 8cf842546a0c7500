import { Cron } from 'croner';

/**
 * Secrets Manager rotation schedules: `AutomaticallyAfterDays`, `rate()` and `cron()` with a
 * `Duration` window, validated as the service validates them and turned into concrete windows.
 * The local cloud uses this to schedule rotations and the API to reject bad schedules up front,
 * so both agree on what a schedule means.
 */

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  ScheduleExpression?: string;
  Duration?: string;
}

export type Cadence =
  | { kind: 'days'; days: number }
  | { kind: 'hours'; hours: number }
  | { kind: 'cron'; expression: string; cron: Cron; hourly: boolean };

export interface RotationSchedule {
  cadence: Cadence;
  /** Window length in ms when `Duration` was given; otherwise the service's default for the cadence. */
  explicitDurationMs?: number;
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
const MIN_INTERVAL_HOURS = 4;
const MAX_DAYS = 1000;

export function startOfUtcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY) * DAY;
}

/** Parses `Duration` ("3h"): whole hours, 1 to 24. */
export function parseDuration(text: string): number {
  const match = /^(\d{1,2})h$/.exec(text);
  const hours = match ? Number(match[1]) : NaN;
  if (!(hours >= 1 && hours <= 24)) {
    throw new ScheduleError(`Duration "${text}" is invalid: give whole hours from 1h to 24h, for example "3h".`);
  }
  return hours * HOUR;
}

export function parseScheduleExpression(expression: string): Cadence {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+(hours?|days?)\s*\)$/.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1) throw new ScheduleError(`${text}: the rate must be a positive whole number.`);
    if (unit.startsWith('day')) {
      if (value > MAX_DAYS) throw new ScheduleError(`${text}: rotate at least every ${MAX_DAYS} days.`);
      return { kind: 'days', days: value };
    }
    if (value < MIN_INTERVAL_HOURS) {
      throw new ScheduleError(`${text}: Secrets Manager rotates at most every ${MIN_INTERVAL_HOURS} hours.`);
    }
    if (value % 24 === 0) return { kind: 'days', days: value / 24 };
    if (value > 24) throw new ScheduleError(`${text}: for intervals over a day use rate(N days).`);
    return { kind: 'hours', hours: value };
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return parseCron(cron[1]!.trim(), text);
  throw new ScheduleError(
    `ScheduleExpression "${text}" is invalid: use rate(N hours), rate(N days) or cron(minutes hours day-of-month month day-of-week year).`,
  );
}

function parseCron(body: string, text: string): Cadence {
  const fields = body.split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleError(`${text}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), found ${fields.length}.`);
  }
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new ScheduleError(`${text}: put "?" in exactly one of day-of-month and day-of-week.`);
  }
  let job: Cron;
  try {
    // EventBridge numbers weekdays 1 (Sunday) to 7 (Saturday), as Quartz does; it has no seconds field.
    job = new Cron(`0 ${body}`, { timezone: 'UTC', paused: true, alternativeWeekdays: true, mode: '7-part', legacyMode: false });
  } catch (err) {
    throw new ScheduleError(`${text}: ${(err as Error).message}`);
  }
  const runs = job.nextRuns(64, new Date(0)).map((d) => d.getTime());
  if (runs.length === 0) throw new ScheduleError(`${text}: the expression never fires.`);
  let minGap = Infinity;
  for (let i = 1; i < runs.length; i++) minGap = Math.min(minGap, runs[i]! - runs[i - 1]!);
  if (minGap < MIN_INTERVAL_HOURS * HOUR) {
    throw new ScheduleError(`${text}: Secrets Manager rotates at most every ${MIN_INTERVAL_HOURS} hours.`);
  }
  return { kind: 'cron', expression: text, cron: job, hourly: minGap < DAY };
}

/**
 * Validates rotation rules as RotateSecret does and returns the schedule they describe.
 * A rule set with neither field is rejected: a rotation needs a schedule. With `now` (when rules
 * are being set), a schedule must also still fire after it; rules stored earlier are read without
 * `now`, so a cron limited to a year that has passed just has no next window.
 */
export function parseRotationRules(rules: RotationRules, options: { now?: number } = {}): RotationSchedule {
  const hasDays = rules.AutomaticallyAfterDays !== undefined && rules.AutomaticallyAfterDays !== null;
  const hasExpression = rules.ScheduleExpression !== undefined && rules.ScheduleExpression !== null;
  if (hasDays && hasExpression) {
    throw new ScheduleError('Specify AutomaticallyAfterDays or ScheduleExpression, not both.');
  }
  let cadence: Cadence;
  if (hasDays) {
    const days = rules.AutomaticallyAfterDays!;
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      throw new ScheduleError(`AutomaticallyAfterDays must be a whole number from 1 to ${MAX_DAYS}, got ${days}.`);
    }
    cadence = { kind: 'days', days };
  } else if (hasExpression) {
    cadence = parseScheduleExpression(rules.ScheduleExpression!);
  } else {
    throw new ScheduleError('RotationRules needs AutomaticallyAfterDays or ScheduleExpression.');
  }
  const schedule: RotationSchedule = { cadence };
  if (rules.Duration !== undefined && rules.Duration !== null) {
    if (cadence.kind === 'days' && hasDays) {
      // The service only takes a window with a schedule expression.
      throw new ScheduleError('Duration needs a ScheduleExpression; with AutomaticallyAfterDays use ScheduleExpression "rate(N days)" instead.');
    }
    schedule.explicitDurationMs = parseDuration(rules.Duration);
  }
  if (options.now !== undefined && cadence.kind === 'cron' && !cadence.cron.nextRun(new Date(options.now))) {
    throw new ScheduleError(`${cadence.expression}: the expression never fires again.`);
  }
  checkWindowFits(schedule, options.now);
  return schedule;
}

/** The window that opens at `start` under this schedule. */
function windowAt(schedule: RotationSchedule, start: number): Window {
  const { cadence, explicitDurationMs } = schedule;
  const hourly = cadence.kind === 'hours' || (cadence.kind === 'cron' && cadence.hourly);
  const end = explicitDurationMs !== undefined
    ? start + explicitDurationMs
    : hourly
      ? start + HOUR
      : startOfUtcDay(start) + DAY;
  return { start, end };
}

/** Window starts after `after` (exclusive), in order. */
function* windowStarts(cadence: Cadence, after: number): Generator<number> {
  switch (cadence.kind) {
    case 'days': {
      // Day schedules count from the day of the previous rotation; windows open at midnight UTC.
      // Later starts are one day apart: they only matter when the scheduled window was missed.
      for (let start = startOfUtcDay(after) + cadence.days * DAY; ; start += DAY) yield start;
    }
    case 'hours': {
      // Hour schedules restart at every midnight UTC: slots at 0, N, 2N, ... hours.
      for (let day = startOfUtcDay(after); ; day += DAY) {
        for (let offset = 0; offset < DAY; offset += cadence.hours * HOUR) {
          if (day + offset > after) yield day + offset;
        }
      }
    }
    case 'cron': {
      let from = after;
      for (;;) {
        const next = cadence.cron.nextRun(new Date(from));
        if (!next) return;
        from = next.getTime();
        yield from;
      }
    }
  }
}

function checkWindowFits(schedule: RotationSchedule, from = Date.UTC(2030, 0, 1)): void {
  const probeFrom = startOfUtcDay(from) - 1;
  const starts: number[] = [];
  for (const start of windowStarts(schedule.cadence, probeFrom)) {
    starts.push(start);
    if (starts.length === 64) break;
  }
  for (let i = 0; i < starts.length; i++) {
    const { start, end } = windowAt(schedule, starts[i]!);
    if (end > startOfUtcDay(start) + DAY) {
      throw new ScheduleError('The rotation window must not extend into the next UTC day: shorten Duration or start earlier.');
    }
    const next = starts[i + 1];
    const nextScheduled = schedule.cadence.kind === 'days' ? start + schedule.cadence.days * DAY : next;
    if (nextScheduled !== undefined && end > nextScheduled) {
      throw new ScheduleError('The rotation window must not extend into the next rotation window: shorten Duration.');
    }
  }
}

/**
 * The next rotation window after the rotation (or configuration) at `since` that has not closed
 * by `now`. A window missed entirely (the cloud was down) is skipped for the next one, so a
 * rotation never starts outside a window; a missed day schedule catches up at the next midnight.
 */
export function nextWindow(schedule: RotationSchedule, since: number, now: number): Window | undefined {
  let walked = 0;
  for (const start of windowStarts(schedule.cadence, since)) {
    const window = windowAt(schedule, start);
    if (window.end > now) return window;
    if (++walked > 100_000) break;
  }
  return undefined;
}

/** What DescribeSecret reports as `AutomaticallyAfterDays` for a schedule. */
export function derivedAutomaticallyAfterDays(cadence: Cadence): number | undefined {
  if (cadence.kind === 'days') return cadence.days;
  if (cadence.kind === 'hours') return undefined;
  const runs = cadence.cron.nextRuns(2, new Date());
  if (runs.length < 2) return undefined;
  const days = Math.round((runs[1]!.getTime() - runs[0]!.getTime()) / DAY);
  return days >= 1 ? days : undefined;
}

const FORMS = '"rotate every N days" (N from 1 to 1000), rate(N hours) (N from 4), rate(N days) or cron(minutes hours day-of-month month day-of-week year), in UTC';

/**
 * The rotation rules for a schedule as people write it to the API and rotctl: "rotate every N
 * days", or a rate()/cron() expression; the window length becomes Duration. Validated as
 * RotateSecret validates (`now`: the rules are being set now), with messages that name every form.
 */
export function rulesFromRequest(schedule: string, window?: string, options: { now?: number } = {}): RotationRules {
  const text = schedule.trim();
  const plain = /^rotate\s+every\s+(\d+)\s+days?$/i.exec(text);
  if (!plain && !/^(rate|cron)\s*\(/i.test(text)) throw new ScheduleError(`"${text.slice(0, 64)}" is not a schedule: use ${FORMS}.`);
  if (plain && !(Number(plain[1]) >= 1 && Number(plain[1]) <= MAX_DAYS)) {
    throw new ScheduleError(`"${text}": rotate every 1 to ${MAX_DAYS} days.`);
  }
  const rules: RotationRules = { ScheduleExpression: plain ? `rate(${Number(plain[1])} days)` : text };
  if (window) rules.Duration = window;
  parseRotationRules(rules, options);
  return rules;
}

/** The next `count` rotation windows after `from`, as the service computes them (the console's schedule helper). */
export function upcomingWindows(rules: RotationRules, from: number, count: number): Window[] {
  const schedule = parseRotationRules(rules, { now: from });
  const windows: Window[] = [];
  let since = from;
  while (windows.length < count) {
    const window = nextWindow(schedule, since, since);
    if (!window) break;
    windows.push(window);
    // Assuming the rotation ran as the window opened: day schedules count from it, the others follow it.
    since = window.start;
  }
  return windows;
}
