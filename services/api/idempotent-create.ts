import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IdempotentCreate } from './app.ts';
import type { ApiDeps } from './deps.ts';
import { createOnboarding, getOnboarding } from './onboardings.ts';
import { problem } from './problem.ts';


/**
 * POST /v1/onboardings at most once per team and Idempotency-Key (Powertools idempotency, records
 * in DynamoDB for 24 hours): the same request again returns the same onboarding; the same key
 * with a different body, or while the first is still being handled, is refused.
 */
export const apiIdempotencyConfig = () =>
  new IdempotencyConfig({ eventKeyJmesPath: '[team, idempotencyKey]', payloadValidationJmesPath: 'request', expiresAfterSeconds: 24 * 3600, throwOnNoIdempotencyKey: true });

/**
 * In a Lambda, register each invocation's context on `config` (registerLambdaContext): an
 * in-progress record then expires with the invocation, so a request cut off by a timeout can be retried.
 */
export function idempotentCreate(deps: ApiDeps, dynamodb: DynamoDBClient, tableName: string, config = apiIdempotencyConfig()): IdempotentCreate {
  const create = makeIdempotent((input: Parameters<IdempotentCreate>[0]) => createOnboarding(deps, input.caller, input.request, input.idempotencyKey), {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamodb }),
    config,
  });
  return async (input) => {
    try {
      const created = await create(input);
      // A repeated request gets the onboarding as it is now, not as it was when first created.
      return await getOnboarding(deps, input.caller, created.onboardingId);
    } catch (err) {
      if (err instanceof IdempotencyValidationError) {
        throw problem(422, 'idempotency-key-reused', 'this Idempotency-Key was used with a different body: use a new key for a different request');
      }
      if (err instanceof IdempotencyAlreadyInProgressError) {
        throw problem(409, 'idempotency-in-progress', 'a request with this Idempotency-Key is still being handled: retry in a moment');
      }
      throw err;
    }
  };
}
