import { createRotatorHandler } from './composition.ts';

/** The fleet rotator Lambda: Secrets Manager invokes it four times per rotation; onboarding, for preflight. */
export const handler = createRotatorHandler(process.env);
