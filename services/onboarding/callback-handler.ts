import { createRotationCallbackHandler } from './composition.ts';

/** Resumes an onboarding waiting for its first rotation, on that rotation's own audit event. */
export const handler = createRotationCallbackHandler(process.env);
