import type { SchedulePreview, SchedulePreviewRequest } from '../../shared/contract/types.ts';
import { rulesFromRequest, ScheduleError, upcomingWindows, type RotationRules } from '../../shared/schedule/rotation-schedule.ts';
import type { ApiDeps } from './deps.ts';
import { problem } from './problem.ts';

/** The rules for a schedule as the API takes it, or a 400 that names the field and says every form. */
export function rulesOrProblem(schedule: string, window: string | undefined, now: number): RotationRules {
  try {
    return rulesFromRequest(schedule, window, { now });
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    const path = window && /window|Duration/i.test(err.message) ? '/window' : '/schedule';
    throw problem(400, 'invalid-schedule', err.message, [{ path, message: err.message }]);
  }
}

/** The next rotation windows a schedule gives from now, as Secrets Manager computes them. */
export function previewSchedule(deps: Pick<ApiDeps, 'now'>, request: SchedulePreviewRequest): SchedulePreview {
  const now = deps.now();
  const rules = rulesOrProblem(request.schedule, request.window, now);
  const windows = upcomingWindows(rules, now, request.count ?? 5).map((w) => ({ start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() }));
  return { rules: { ScheduleExpression: rules.ScheduleExpression!, ...(rules.Duration ? { Duration: rules.Duration } : {}) }, windows };
}
