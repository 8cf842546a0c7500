import { parseRotationRules, type RotationRules } from '../../shared/schedule/rotation-schedule.ts';
import { TAGS } from '../../shared/names.ts';
import type { RuleParameters } from './policy.ts';

/** The rules, as the contract's RuleId names them: AWS's five (Security Hub controls), then the product's own. */
export const RULE_IDS = [
  'rotation-enabled',
  'scheduled-rotation-success',
  'secret-unused',
  'periodic-rotation',
  'required-tags',
  'rotation-failing',
  'rotated-by-other',
  'onboarded-rotation-off',
  'owner-tag',
] as const;
export type RuleId = (typeof RULE_IDS)[number];
export type FindingState = 'COMPLIANT' | 'NON_COMPLIANT' | 'NOT_APPLICABLE';
export type RemediationAction = 'onboard' | 'reonboard' | 'fix-rotation' | 'tag' | 'investigate';

/** What the rules see of a secret: ListSecrets' entry (never a value) and the rotator's last word. */
export interface SecretFacts {
  arn: string;
  name: string;
  account: string;
  region: string;
  tags: Record<string, string>;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRules;
  createdAt?: number;
  lastRotatedAt?: number;
  lastAccessedAt?: number;
  nextRotationAt?: number;
  /** The fleet rotator's latest failure, when it is newer than its latest success: rotation is failing now. */
  lastFailure?: { at: string; step: string; errorClass?: string; reason: string };
}

export interface RuleContext {
  now: number;
  parameters: RuleParameters;
  /** The product's rotators (fleet rotator and its VPC placements). */
  ourRotators: ReadonlySet<string>;
}

export interface RuleResult {
  state: FindingState;
  /** Why, in words an owner can act on. */
  reason: string;
  remediation?: { action: RemediationAction; detail: string };
}

export interface RuleDefinition {
  id: RuleId;
  title: string;
  awsControl?: string;
  parameters?: (p: RuleParameters) => Record<string, unknown>;
  evaluate(secret: SecretFacts, context: RuleContext): RuleResult;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ago = (now: number, at: number) => Math.floor((now - at) / DAY);
const isoDay = (at: number) => new Date(at).toISOString().slice(0, 10);
const ok = (reason: string): RuleResult => ({ state: 'COMPLIANT', reason });
const na = (reason: string): RuleResult => ({ state: 'NOT_APPLICABLE', reason });
const fail = (reason: string, action: RemediationAction, detail: string): RuleResult => ({ state: 'NON_COMPLIANT', reason, remediation: { action, detail } });

const onboarded = (s: SecretFacts) => s.tags[TAGS.managed] === 'true';
const ours = (s: SecretFacts, c: RuleContext) => s.rotationLambdaArn !== undefined && c.ourRotators.has(s.rotationLambdaArn);

/** How often the secret's rotation rules rotate it, in ms (the longest gap for cron), or undefined when the rules cannot be read. */
export function rotationInterval(rules: RotationRules | undefined): number | undefined {
  if (!rules) return undefined;
  if (rules.ScheduleExpression) {
    try {
      const { cadence } = parseRotationRules({ ScheduleExpression: rules.ScheduleExpression });
      if (cadence.kind === 'days') return cadence.days * DAY;
      if (cadence.kind === 'hours') return cadence.hours * HOUR;
      // A cron schedule's longest gap over its next runs: what the maximum must allow.
      const runs = cadence.cron.nextRuns(13, new Date()).map((d) => d.getTime());
      let longest = 0;
      for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
      return longest || undefined;
    } catch {
      return undefined;
    }
  }
  return rules.AutomaticallyAfterDays ? rules.AutomaticallyAfterDays * DAY : undefined;
}

const describeInterval = (ms: number) => (ms % DAY === 0 ? `${ms / DAY} days` : `${Math.round(ms / HOUR)} hours`);
const notOnboardedFix = (s: SecretFacts): RemediationAction => (onboarded(s) ? 'reonboard' : 'onboard');

export const RULES: readonly RuleDefinition[] = [
  {
    id: 'rotation-enabled',
    title: 'Rotation is configured, at least as often as the maximum',
    awsControl: 'SecretsManager.1 (secretsmanager-rotation-enabled-check)',
    parameters: (p) => ({ maximumAllowedRotationFrequency: p.maximumAllowedRotationFrequency, ...(p.maximumAllowedRotationFrequencyInHours ? { maximumAllowedRotationFrequencyInHours: p.maximumAllowedRotationFrequencyInHours } : {}) }),
    evaluate(s, c) {
      if (!s.rotationEnabled) return fail('rotation is not configured', notOnboardedFix(s), 'onboard the secret with a schedule: the control plane configures and tests its rotation');
      const max = c.parameters.maximumAllowedRotationFrequencyInHours ? c.parameters.maximumAllowedRotationFrequencyInHours * HOUR : c.parameters.maximumAllowedRotationFrequency * DAY;
      const interval = rotationInterval(s.rotationRules);
      if (interval !== undefined && interval > max) {
        return fail(`rotation is configured every ${describeInterval(interval)}, less often than the maximum of ${describeInterval(max)}`, 'reonboard', `onboard it again with a schedule of at most ${describeInterval(max)}`);
      }
      return ok(interval ? `rotation every ${describeInterval(interval)}` : 'rotation is configured');
    },
  },
  {
    id: 'scheduled-rotation-success',
    title: 'The secret rotated as scheduled',
    awsControl: 'SecretsManager.2 (secretsmanager-scheduled-rotation-success-check)',
    evaluate(s, c) {
      if (!s.rotationEnabled) return na('rotation is not configured');
      const interval = rotationInterval(s.rotationRules);
      const since = s.lastRotatedAt ?? s.createdAt;
      // The date Secrets Manager computes the rotation for; a day's grace for the window to close.
      const due = s.nextRotationAt ?? (since !== undefined && interval !== undefined ? since + interval : undefined);
      if (due !== undefined && c.now > due + DAY) {
        const why = s.lastFailure ? `: its last attempt failed at ${s.lastFailure.step} (${s.lastFailure.reason})` : '';
        return fail(`the rotation due by ${isoDay(due)} has not happened${why}`, s.lastFailure ? 'fix-rotation' : 'investigate', s.lastFailure ? 'fix the cause, then onboard the secret again to test and rotate it' : 'check the rotation function and its logs, or onboard the secret to the fleet rotator');
      }
      return ok(s.lastRotatedAt ? `last rotated ${isoDay(s.lastRotatedAt)}` : 'no rotation due yet');
    },
  },
  {
    id: 'secret-unused',
    title: 'The secret was accessed recently',
    awsControl: 'SecretsManager.3 (secretsmanager-secret-unused)',
    parameters: (p) => ({ unusedForDays: p.unusedForDays }),
    evaluate(s, c) {
      const last = s.lastAccessedAt ?? s.createdAt;
      if (last === undefined) return ok('no access date known');
      const days = ago(c.now, last);
      if (days > c.parameters.unusedForDays) {
        const what = s.lastAccessedAt ? `last accessed ${days} days ago` : `never accessed since it was created ${days} days ago`;
        return fail(`${what} (more than ${c.parameters.unusedForDays})`, 'investigate', 'delete the secret if nothing uses it any more');
      }
      return ok(s.lastAccessedAt ? `accessed ${days} days ago` : `created ${days} days ago`);
    },
  },
  {
    id: 'periodic-rotation',
    title: 'The secret rotated within the maximum number of days',
    awsControl: 'SecretsManager.4 (secretsmanager-secret-periodic-rotation)',
    parameters: (p) => ({ maxDaysSinceRotation: p.maxDaysSinceRotation }),
    evaluate(s, c) {
      const last = s.lastRotatedAt ?? s.createdAt;
      if (last === undefined) return ok('no rotation or creation date known');
      const days = ago(c.now, last);
      if (days > c.parameters.maxDaysSinceRotation) {
        const what = s.lastRotatedAt ? `last rotated ${days} days ago` : `never rotated since it was created ${days} days ago`;
        return fail(`${what} (more than ${c.parameters.maxDaysSinceRotation})`, s.rotationEnabled ? (s.lastFailure ? 'fix-rotation' : 'investigate') : notOnboardedFix(s), s.rotationEnabled ? 'see why its rotation does not happen (rotation-failing, scheduled-rotation-success)' : 'onboard the secret with a schedule');
      }
      return ok(s.lastRotatedAt ? `rotated ${days} days ago` : `created ${days} days ago`);
    },
  },
  {
    id: 'required-tags',
    title: 'The secret carries the required tag keys',
    awsControl: 'SecretsManager.5 (tagged-secretsmanager-secret)',
    parameters: (p) => ({ requiredTagKeys: p.requiredTagKeys }),
    evaluate(s, c) {
      const keys = Object.keys(s.tags).filter((k) => !k.startsWith('aws:'));
      if (c.parameters.requiredTagKeys.length === 0) {
        return keys.length ? ok('tagged') : fail('the secret has no tags', 'tag', 'tag the secret (at least its owning team, rcp:team)');
      }
      const missing = c.parameters.requiredTagKeys.filter((k) => !(k in s.tags));
      return missing.length ? fail(`missing the required tag keys ${missing.join(', ')}`, 'tag', `tag the secret with ${missing.join(', ')}`) : ok('carries every required tag key');
    },
  },
  {
    id: 'rotation-failing',
    title: 'Rotation is not failing',
    evaluate(s) {
      if (s.lastFailure) {
        const f = s.lastFailure;
        return fail(`the last rotation failed at ${f.step}${f.errorClass ? ` (${f.errorClass})` : ''}: ${f.reason}`, 'fix-rotation', 'fix the cause named in the reason, then onboard the secret again (it tests the credentials before rotating)');
      }
      return s.rotationEnabled ? ok('no failed rotation since the last success') : na('rotation is not configured');
    },
  },
  {
    id: 'rotated-by-other',
    title: "Rotated by the product's rotators",
    evaluate(s, c) {
      if (!s.rotationEnabled) return na('rotation is not configured');
      if (!s.rotationLambdaArn) return ok('rotation is managed by the service that owns the secret');
      return ours(s, c) ? ok('rotated by the fleet rotator') : fail(`rotated by ${s.rotationLambdaArn}, a function outside the control plane`, 'reonboard', 'onboard the secret so the fleet rotator rotates it, with tested steps and audit events');
    },
  },
  {
    id: 'onboarded-rotation-off',
    title: 'Onboarded secrets keep rotation on',
    evaluate(s) {
      if (!onboarded(s)) return na('not onboarded');
      return s.rotationEnabled ? ok('rotation is on') : fail('onboarded, but rotation was turned off since', 'reonboard', 'onboard the secret again to turn rotation back on');
    },
  },
  {
    id: 'owner-tag',
    title: 'The owning team is tagged',
    evaluate(s) {
      return s.tags[TAGS.team] ? ok(`owned by ${s.tags[TAGS.team]}`) : fail(`no ${TAGS.team} tag names the owning team`, 'tag', `tag the secret with ${TAGS.team}=<team>`);
    },
  },
];

export type Evaluated = Record<RuleId, RuleResult>;

/** Every rule on one secret. */
export function evaluateSecret(secret: SecretFacts, context: RuleContext): Evaluated {
  return Object.fromEntries(RULES.map((rule) => [rule.id, rule.evaluate(secret, context)])) as Evaluated;
}

export const isCompliant = (results: Evaluated) => Object.values(results).every((r) => r.state !== 'NON_COMPLIANT');
