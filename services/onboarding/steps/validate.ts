import { DescribeSecretCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { rulesFromRequest, ScheduleError } from '../../../shared/schedule/rotation-schedule.ts';
import { TAGS } from '../../../shared/names.ts';
import { ownerOf } from '../../../shared/ownership.ts';
import { failed } from '../errors.ts';
import type { SecretSnapshot } from '../state.ts';
import { onboardingStep } from '../step-runner.ts';

/**
 * Checks the request against the secret before anything changes: the schedule is valid, the
 * secret exists, is the caller team's, is not being deleted nor rotated by some other function,
 * and no other onboarding of it is under way (a lock in the table). Snapshots what compensation
 * restores to, on the workflow's state and on the record (for a cancellation outside the workflow).
 */
export const validate = onboardingStep(
  'Validate',
  async (state, deps): Promise<SecretSnapshot> => {
    await deps.records.markRunning(state.onboardingId, new Date(deps.now()).toISOString());
    let rules;
    try {
      rules = rulesFromRequest(state.request.schedule, state.request.window, { now: deps.now() });
    } catch (err) {
      if (err instanceof ScheduleError) throw failed('InvalidSchedule', err.message);
      throw err;
    }
    const notFound = () => failed('SecretNotFound', `no secret "${state.request.secretId}" of team ${state.request.team}: check the name or ARN, and that the secret is tagged ${TAGS.team}=${state.request.team}`);
    let described;
    try {
      described = await deps.smFor(state.request.secretId).send(new DescribeSecretCommand({ SecretId: state.request.secretId }));
    } catch (err) {
      if (err instanceof ResourceNotFoundException || (err as Error).name === 'AccessDeniedException') throw notFound();
      throw err;
    }
    // Another team's secret, or one no team has claimed, is reported exactly as one that does not exist.
    if (ownerOf(described.Tags) !== state.request.team) throw notFound();
    const secretArn = described.ARN!;
    if (described.DeletedDate) throw failed('SecretDeleted', 'the secret is scheduled for deletion: restore it first');
    const ourRotators = [deps.rotatorArn, ...Object.values(deps.placements)];
    if (described.RotationEnabled && described.RotationLambdaARN && !ourRotators.includes(described.RotationLambdaARN)) {
      throw failed('RotatedElsewhere', `the secret is already rotated by ${described.RotationLambdaARN}: turn that off (CancelRotateSecret) before onboarding`);
    }
    if (!(await deps.records.claimSecret(secretArn, state.onboardingId))) {
      const holder = await deps.records.lockHolder(secretArn);
      throw failed('OnboardingInProgress', `onboarding ${holder ?? 'another onboarding'} holds this secret (running or succeeded): offboard it first`);
    }
    return {
      secretArn,
      rules,
      claimed: true,
      tagKeysBefore: (described.Tags ?? []).map((t) => t.Key!).filter(Boolean),
      rotationEnabledBefore: described.RotationEnabled === true,
    };
  },
  { record: (snapshot) => ({ extra: { validate: snapshot, secretArn: snapshot.secretArn } }) },
);
