import { createOnboardingHandler } from './composition.ts';

/** An onboarding workflow step's Lambda (ONBOARDING_STEP names which). */
export const handler = createOnboardingHandler(process.env);
