import { Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { loadContract } from '../../../services/api/app.ts';
import { PROBLEM_TYPE_BASE } from '../../../services/api/problem.ts';

type Json = Record<string, unknown>;

function gatewayProblem(status: number | undefined, slug: string, detail: string): Json {
  const statusText = status === undefined ? '$context.error.responseType' : String(status);
  return {
    ...(status === undefined ? {} : { statusCode: status }),
    responseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
    responseTemplates: {
      'application/json': `{"type":"${PROBLEM_TYPE_BASE}${slug}","title":"${statusText}","status":${status ?? 400},"detail":"${detail}"}`,
    },
  };
}
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** API Gateway imports OpenAPI 3.0 with JSON Schema draft 4: turn 3.1-only keywords into their 3.0 forms. */
function downgradeSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(downgradeSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'examples' && Array.isArray(value)) out.example = value[0];
    else out[key] = downgradeSchema(value);
  }
  return out;
}

/**
 * openapi.yaml, the one contract, as API Gateway's definition: every operation proxied to the API
 * function, signed with SigV4 (AWS_IAM), and validated (body and parameters) before it reaches code.
 * With `cognitoUserPoolArn` (the console's API) a token of that user pool authorises instead.
 */
export function apiGatewayDefinition(stack: Stack, handler: IFunction, options: { cognitoUserPoolArn?: string } = {}): Json {
  const contract = downgradeSchema(structuredClone(loadContract())) as Json;
  const info = contract.info as Json;
  delete info.summary;
  const uri = `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${handler.functionArn}/invocations`;
  for (const pathItem of Object.values(contract.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const operation = pathItem[method] as Json | undefined;
      if (!operation) continue;
      operation['x-amazon-apigateway-integration'] = { type: 'aws_proxy', httpMethod: 'POST', uri, passthroughBehavior: 'never' };
      // An operation the contract leaves open (`security: []`, the health check) takes no signature.
      const open = Array.isArray(operation.security) && operation.security.length === 0;
      if (options.cognitoUserPoolArn) {
        if (open) operation['x-amazon-apigateway-auth'] = { type: 'NONE' };
        else operation.security = [{ cognito: [] }];
      } else {
        operation['x-amazon-apigateway-auth'] = { type: open ? 'NONE' : 'AWS_IAM' };
      }
      operation['x-amazon-apigateway-request-validator'] = 'all';
      if (!options.cognitoUserPoolArn || open) delete operation.security;
    }
  }
  delete contract.security;
  (contract.components as Json).securitySchemes = options.cognitoUserPoolArn
    ? {
        cognito: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          'x-amazon-apigateway-authtype': 'cognito_user_pools',
          'x-amazon-apigateway-authorizer': { type: 'cognito_user_pools', providerARNs: [options.cognitoUserPoolArn] },
        },
      }
    : { sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' } };
  return {
    ...contract,
    openapi: '3.0.1',
    'x-amazon-apigateway-request-validators': { all: { validateRequestBody: true, validateRequestParameters: true } },
    // API Gateway's own refusals (validation, authorisation, unknown routes) as problem+json too.
    'x-amazon-apigateway-gateway-responses': {
      BAD_REQUEST_BODY: gatewayProblem(400, 'invalid-request', '$context.error.validationErrorString'),
      BAD_REQUEST_PARAMETERS: gatewayProblem(400, 'invalid-request', '$context.error.validationErrorString'),
      DEFAULT_4XX: gatewayProblem(undefined, 'gateway-refused', '$context.error.messageString'),
      DEFAULT_5XX: gatewayProblem(undefined, 'gateway-error', '$context.error.messageString'),
    },
  };
}
