import type { LambdaHandler } from '../cloud/services/lambda/functions.ts';
import type { MetricsSink } from '../../../shared/runtime/observability.ts';
import type { Environment } from '../../../shared/runtime/settings.ts';

/** What the embedded default passes every function besides its environment: its clock and metrics. */
export interface HandlerOptions {
  now?: () => number;
  metrics?: MetricsSink;
}

type Factory = (env: Environment, options: HandlerOptions) => Promise<LambdaHandler>;

/**
 * The code behind each function of the CDK app, by the entry file its template names
 * (`rcp:entry` metadata): the same composition root the Lambda entry calls, built with the
 * environment the local cloud gives the function. A new Lambda is one line here.
 */
export const HANDLERS: Record<string, Factory> = {
  'services/rotator/handler.ts': async (env, o) => (await import('../../../services/rotator/composition.ts')).createRotatorHandler(env, o) as unknown as LambdaHandler,
  'services/onboarding/handler.ts': async (env, o) => (await import('../../../services/onboarding/composition.ts')).createOnboardingHandler(env, o) as unknown as LambdaHandler,
  'services/onboarding/callback-handler.ts': async (env, o) => (await import('../../../services/onboarding/composition.ts')).createRotationCallbackHandler(env, o) as unknown as LambdaHandler,
  'services/compliance/handler.ts': async (env, o) => (await import('../../../services/compliance/composition.ts')).createComplianceHandler(env, o) as unknown as LambdaHandler,
  'services/audit-trail/handler.ts': async (env, o) => (await import('../../../services/audit-trail/composition.ts')).createAuditTrailHandler(env, o) as unknown as LambdaHandler,
  'services/api/handler.ts': async (env, o) => (await import('../../../services/api/composition.ts')).createApiHandler(env, o) as unknown as LambdaHandler,
};
