import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import { dynamoDbClient, eventBridgeClient, secretsManagerClient, sfnClient } from '../../shared/aws/clients.ts';
import { OnboardingRecords } from '../onboarding/records.ts';
import { RotationStatusStore } from '../../shared/rotation-status/rotation-status-store.ts';
import { createApi } from './app.ts';
import { iamCaller } from './auth.ts';
import { apiIdempotencyConfig, idempotentCreate } from './idempotent-create.ts';
import type { ApiDeps } from './onboarding-service.ts';
import { auditBusName } from '../../shared/names.ts';

/** The REST API behind API Gateway (IAM auth, request validation from openapi.yaml). */
const logger = new Logger({ serviceName: 'rcp-api' });
const dynamodb = dynamoDbClient();
const sfn = sfnClient();
const stateMachineArn = process.env.STATE_MACHINE_ARN ?? '';
const principals = JSON.parse(process.env.RCP_TEAM_PRINCIPALS ?? '{}') as Record<string, string>;

const deps: ApiDeps = {
  sm: secretsManagerClient(),
  records: new OnboardingRecords(dynamodb),
  rotationStatus: new RotationStatusStore(dynamodb),
  audit: new EventBridgeAuditSink(eventBridgeClient(), auditBusName(), (reason) => logger.error('audit event not delivered', { reason })),
  workflow: {
    // The execution is named after the onboarding: a repeated start is refused by Step Functions itself.
    async start(state) {
      try {
        const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: state.onboardingId, input: JSON.stringify(state) }));
        return { executionArn: out.executionArn! };
      } catch (err) {
        if (err instanceof ExecutionAlreadyExists) return { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${state.onboardingId}` };
        throw err;
      }
    },
  },
  account: process.env.AWS_ACCOUNT_ID ?? stateMachineArn.split(':')[4] ?? '',
  region: process.env.AWS_REGION ?? 'us-east-1',
  now: () => Date.now(),
};

const idempotency = apiIdempotencyConfig();
const api = createApi(deps, {
  authenticate: (request) => iamCaller(principals, request.iamIdentity),
  createOnboarding: idempotentCreate(deps, dynamodb, idempotency),
  log: (message, fields) => logger.error(message, fields),
});

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context) => {
    idempotency.registerLambdaContext(context);
    const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? undefined);
    return api({
      method: event.httpMethod,
      path: event.path,
      query: Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined)),
      headers: event.headers,
      body,
      iamIdentity: event.requestContext.identity.userArn ?? undefined,
    });
  });
