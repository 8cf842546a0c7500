import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { clientsIn, servedScopes } from '../../shared/accounts.ts';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import { AwsClients } from '../../shared/aws/clients.ts';
import { RotationStatusStore } from '../../shared/rotation/status-store.ts';
import { observability, type MetricsSink } from '../../shared/runtime/observability.ts';
import { awsSettings, homeOf, resourceNames, type Environment } from '../../shared/runtime/settings.ts';
import { evaluateAll, evaluateOne, type EvaluatorDeps } from './evaluator.ts';
import { invocationOf } from './events.ts';
import { parsePolicy } from './policy.ts';
import { ComplianceStore, ScopeEvaluations } from './store.ts';

/** The product's rotators from the environment the stacks set (FLEET_ROTATOR_ARN, ROTATOR_PLACEMENTS). */
export const ourRotatorsOf = (env: Environment): ReadonlySet<string> =>
  new Set([env.FLEET_ROTATOR_ARN, ...Object.values(JSON.parse(env.ROTATOR_PLACEMENTS || '{}') as Record<string, string>)].filter((a): a is string => Boolean(a)));

/** The evaluator's dependencies from its environment; `sessionName` names who assumes the inventory roles. */
export function complianceDeps(env: Environment, clients: AwsClients, log: EvaluatorDeps['log'], options: { now?: () => number; sessionName: string }): EvaluatorDeps {
  const names = resourceNames(env);
  const home = homeOf(env);
  const externalId = env.RCP_MEMBER_EXTERNAL_ID || undefined;
  return {
    home,
    scopes: () => servedScopes(env, home),
    inventoryFor: (scope) => clientsIn(clients, home, scope, 'inventory', { externalId, sessionName: options.sessionName }).sm,
    rotationStatus: new RotationStatusStore(clients.dynamodb, names.controlPlaneTable),
    store: new ComplianceStore(clients.dynamodb, names.controlPlaneTable),
    scopeEvaluations: new ScopeEvaluations(clients.dynamodb, names.controlPlaneTable),
    audit: new EventBridgeAuditSink(clients.events, names.auditBus, (reason) => log('audit event not delivered', { reason })),
    policy: parsePolicy(env.RCP_COMPLIANCE_POLICY),
    ourRotators: ourRotatorsOf(env),
    now: options.now ?? Date.now,
    log,
  };
}

/** The compliance function: hourly full evaluations, "evaluate now" from the API, and one secret after each of its events. */
export function createComplianceHandler(env: Environment, options: { metrics?: MetricsSink; now?: () => number } = {}) {
  const { logger, tracer } = observability('rcp-compliance', options.metrics);
  const clients = new AwsClients(awsSettings(env), (client) => tracer.captureAWSv3Client(client));
  const deps = complianceDeps(env, clients, (message, fields) => logger.error(message, fields), { now: options.now, sessionName: 'rcp-compliance' });
  return middy<Record<string, unknown>, unknown, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .handler(async (event, context) => {
      const invocation = invocationOf(event);
      if (invocation.kind === 'full') {
        const evaluation = await evaluateAll(deps, { ...invocation, deadline: deps.now() + context.getRemainingTimeInMillis() });
        logger.info('compliance evaluated', { evaluationId: evaluation.evaluationId, status: evaluation.status, secrets: evaluation.secrets, listSecretsCalls: evaluation.listSecretsCalls, durationMs: evaluation.durationMs });
        return evaluation;
      }
      if (invocation.kind === 'one') {
        const record = await evaluateOne(deps, invocation.secretId, { trigger: 'event', actor: `event:${invocation.eventName}`, where: invocation.where });
        logger.info('secret re-evaluated', { secretArn: record?.arn ?? invocation.secretId, eventName: invocation.eventName, deleted: record === undefined });
        return { secretArn: record?.arn ?? invocation.secretId };
      }
      logger.warn('event ignored', { why: invocation.why });
      return { ignored: invocation.why };
    });
}
