import { DescribeSecretCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { parseRotationRules, ScheduleError, type RotationRules } from '../../../shared/schedule/rotation-schedule.ts';
import { failed } from '../errors.ts';
import { onboardingStep } from '../step-runner.ts';
import { ownerOf } from '../../../shared/ownership.ts';
import { TAGS } from '../../../shared/names.ts';

/** "rotate every N days" (the API's plain form), or a rate()/cron() expression; with the window as Duration. */
export function rotationRulesFor(schedule: string, window?: string): RotationRules {
  const plain = /^rotate every (\d+) days?$/i.exec(schedule.trim());
  const rules: RotationRules = plain ? { ScheduleExpression: `rate(${Number(plain[1])} days)` } : { ScheduleExpression: schedule.trim() };
  if (window) rules.Duration = window;
  return rules;
}

/**
 * Checks the request against the secret before anything changes: the secret exists and is not
 * being deleted, is not rotated by some other function, the schedule is valid, and no other
 * onboarding of it is under way (a lock in the table).
 */
export const validate = onboardingStep('Validate', async (state, deps) => {
  const rules = rotationRulesFor(state.request.schedule, state.request.window);
  try {
    parseRotationRules(rules, { now: deps.now() });
  } catch (err) {
    if (err instanceof ScheduleError) throw failed('InvalidSchedule', err.message);
    throw err;
  }
  let described;
  try {
    described = await deps.sm.send(new DescribeSecretCommand({ SecretId: state.request.secretId }));
  } catch (err) {
    if (err instanceof ResourceNotFoundException) throw failed('SecretNotFound', `no secret "${state.request.secretId}" in ${deps.region}: check the name or ARN`);
    throw err;
  }
  const secretArn = described.ARN!;
  if (described.DeletedDate) throw failed('SecretDeleted', 'the secret is scheduled for deletion: restore it first');
  const ourRotators = [deps.rotatorArn, ...Object.values(deps.placements)];
  if (described.RotationEnabled && described.RotationLambdaARN && !ourRotators.includes(described.RotationLambdaARN)) {
    throw failed('RotatedElsewhere', `the secret is already rotated by ${described.RotationLambdaARN}: turn that off (CancelRotateSecret) before onboarding`);
  }
  const owner = ownerOf(described.Tags);
  if (owner !== state.request.team) {
    throw failed('NotOwned', owner ? `the secret belongs to team ${owner}` : `the secret has no ${TAGS.team} tag naming team ${state.request.team}`);
  }
  if (!(await deps.records.claimSecret(secretArn, state.onboardingId))) {
    throw failed('OnboardingInProgress', 'another onboarding of this secret is under way or succeeded: offboard it first');
  }
  return {
    secretArn,
    rules,
    claimed: true,
    tagKeysBefore: (described.Tags ?? []).map((t) => t.Key!).filter(Boolean),
    rotationEnabledBefore: described.RotationEnabled === true,
  };
});
