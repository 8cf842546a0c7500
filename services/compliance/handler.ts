import { createComplianceHandler } from './composition.ts';

export const handler = createComplianceHandler(process.env);
