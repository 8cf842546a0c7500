import { onboardingStep } from '../step-runner.ts';

/** The onboarding is done: its record says so and the audit trail gets "Onboarding Succeeded". */
export const recordSuccess = onboardingStep(
  'RecordSuccess',
  async (state, deps) => {
    await deps.audit.publish({
      detailType: 'Onboarding Succeeded',
      detail: {
        secretArn: state.validate!.secretArn,
        account: deps.account,
        region: deps.region,
        onboardingId: state.onboardingId,
        step: 'RecordSuccess',
        outcome: 'succeeded',
        durationMs: 0,
        actor: state.actor,
        strategy: state.preflight?.strategy,
        engine: state.preflight?.engine,
      },
    });
    return { secretArn: state.validate!.secretArn };
  },
  'succeeded',
);
