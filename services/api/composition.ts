import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { clientsForSecret, clientsIn, servedScopes } from '../../shared/accounts.ts';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import { AuditTrail } from '../../shared/audit/audit-trail.ts';
import { AwsClients } from '../../shared/aws/clients.ts';
import { lambdaClient, sfnClient } from '../../shared/aws/workflow-clients.ts';
import { RotationStatusStore } from '../../shared/rotation/status-store.ts';
import { observability, type MetricsSink } from '../../shared/runtime/observability.ts';
import { auditTrailSettings, awsSettings, homeOf, resourceNames, type Environment } from '../../shared/runtime/settings.ts';
import { OnboardingRecords } from '../onboarding/records.ts';
import { FirstRotationWaits } from '../onboarding/waits.ts';
import { createApi } from './app.ts';
import { cognitoCaller, iamCaller } from './auth.ts';
import type { ApiDeps, WorkflowPort } from './deps.ts';
import { apiIdempotencyConfig, idempotentCreate } from './idempotent-create.ts';
import { stepFunctionsWorkflow } from './workflow.ts';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { complianceDeps, ourRotatorsOf } from '../compliance/composition.ts';

/** The API's dependencies from its environment (what the control-plane stack sets). */
export function apiDeps(env: Environment, clients: AwsClients, log: ApiDeps['log'], options: { now?: () => number; workflow?: WorkflowPort } = {}): ApiDeps {
  const names = resourceNames(env);
  const stateMachineArn = env.STATE_MACHINE_ARN ?? '';
  const home = homeOf(env);
  const externalId = env.RCP_MEMBER_EXTERNAL_ID || undefined;
  return {
    smFor: (secretId) => clientsForSecret(clients, home, secretId, 'onboarding', { externalId, sessionName: 'rcp-api' }).sm,
    records: new OnboardingRecords(clients.dynamodb, names.controlPlaneTable),
    rotationStatus: new RotationStatusStore(clients.dynamodb, names.controlPlaneTable),
    audit: new EventBridgeAuditSink(clients.events, names.auditBus, (reason) => log('audit event not delivered', { reason })),
    auditTrail: new AuditTrail(clients.dynamodb, auditTrailSettings(env).table, options.now),
    workflow: options.workflow ?? stepFunctionsWorkflow(sfnClient(clients), stateMachineArn, new FirstRotationWaits(clients.dynamodb, names.controlPlaneTable)),
    home,
    scopes: () => servedScopes(env, home),
    inventoryFor: (scope) => clientsIn(clients, home, scope, 'inventory', { externalId, sessionName: 'rcp-api' }).sm,
    ourRotators: ourRotatorsOf(env),
    compliance: complianceDeps(env, clients, log, { now: options.now, sessionName: 'rcp-api' }),
    startEvaluation: async (input) => {
      if (!env.COMPLIANCE_FUNCTION_ARN) throw new Error('COMPLIANCE_FUNCTION_ARN is not set (the stacks set it)');
      await lambdaClient(clients).send(new InvokeCommand({ FunctionName: env.COMPLIANCE_FUNCTION_ARN, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ action: 'evaluate', ...input })) }));
    },
    now: options.now ?? Date.now,
    log,
  };
}

/** The REST API behind API Gateway (IAM auth, request validation from openapi.yaml), built once per container. */
export function createApiHandler(env: Environment, options: { metrics?: MetricsSink; now?: () => number } = {}) {
  const { logger, tracer } = observability('rcp-api', options.metrics);
  const clients = new AwsClients(awsSettings(env), (client) => tracer.captureAWSv3Client(client));
  const deps = apiDeps(env, clients, (message, fields) => logger.error(message, fields), { now: options.now });
  const principals = JSON.parse(env.RCP_TEAM_PRINCIPALS || '{}') as Record<string, string>;
  const auditors = JSON.parse(env.RCP_AUDITOR_PRINCIPALS || '[]') as string[];
  const idempotency = apiIdempotencyConfig();
  const api = createApi(deps, {
    authenticate: (request) => (request.cognitoClaims ? cognitoCaller(request.cognitoClaims) : iamCaller(principals, request.iamIdentity, auditors)),
    createOnboarding: idempotentCreate(deps, clients.dynamodb, resourceNames(env).apiIdempotencyTable, idempotency),
  });
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .handler(async (event, context) => {
      // An in-progress idempotency record then expires with this invocation.
      idempotency.registerLambdaContext(context);
      const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? undefined);
      return api({
        method: event.httpMethod,
        // REST APIs keep the path percent-encoded; the router decodes each parameter once.
        path: event.path,
        query: Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined)),
        headers: event.headers,
        body,
        iamIdentity: event.requestContext.identity.userArn ?? undefined,
        // Only API Gateway sets these (its Cognito authoriser, the console's API): never a header.
        cognitoClaims: (event.requestContext.authorizer?.claims as Record<string, unknown> | undefined) ?? undefined,
      });
    });
}
