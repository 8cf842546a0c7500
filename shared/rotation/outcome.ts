/** The four steps Secrets Manager drives, in the order it drives them. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** How one rotation (one token) ended as the fleet rotator saw it: a step, a class, a reason; never a value. */
export interface RotationOutcome {
  token: string;
  outcome: 'succeeded' | 'failed';
  step: string;
  /** ISO time on the control plane's clock. */
  at: string;
  errorClass?: string;
  reason?: string;
}

/**
 * A rotation that failed at createSecret or setSecret never set the new password on the service
 * (setSecret changes it last, and a failed change leaves the old one): cancelling it strands nothing.
 * A failure at testSecret or finishSecret may come after the service already has the new password.
 */
export function failedBeforeTheChange(outcome: Pick<RotationOutcome, 'outcome' | 'step'>): boolean {
  return outcome.outcome === 'failed' && (outcome.step === 'createSecret' || outcome.step === 'setSecret');
}
