import { onboardingStep } from '../step-runner.ts';

/** The onboarding is done: its record says so and the audit trail gets "Onboarding Succeeded". */
export const recordSuccess = onboardingStep('RecordSuccess', async (state) => ({ secretArn: state.validate!.secretArn }), {
  finalStatus: () => 'succeeded',
  audit: (_result, state) => [{ detailType: 'Onboarding Succeeded', detail: { strategy: state.preflight?.strategy, engine: state.preflight?.engine } }],
});
