import { createAuditTrailHandler } from './composition.ts';

/** Records each audit event into its secret's audit trail (GET /v1/secrets/{secretId}/events reads it). */
export const handler = createAuditTrailHandler(process.env);
