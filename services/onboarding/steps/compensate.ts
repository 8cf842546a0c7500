import { compensate, describeCompensation } from '../undo.ts';
import { onboardingStep } from '../step-runner.ts';

/** As the workflow's Task: runs after a failure or a cancellation, and records what it undid. */
export const compensateTask = onboardingStep('Compensate', compensate, {
  afterCancel: true,
  record: (result) => ({ outcome: 'compensated', message: describeCompensation(result) }),
});
