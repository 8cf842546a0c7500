import { createApiHandler } from './composition.ts';

/** The REST API's Lambda behind API Gateway. */
export const handler = createApiHandler(process.env);
