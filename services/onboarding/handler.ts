import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import { dynamoDbClient, eventBridgeClient, lambdaClient, secretsManagerClient } from '../../shared/aws/clients.ts';
import type { OnboardingDeps } from './deps.ts';
import { OnboardingRecords } from './records.ts';
import { RotationStatusStore } from '../../shared/rotation-status/rotation-status-store.ts';
import { STEP_NAMES, type OnboardingState, type StepName } from './state.ts';
import { ONBOARDING_TASKS } from './tasks.ts';
import { auditBusName } from '../../shared/names.ts';

/**
 * One bundle for every onboarding step: each step's function sets ONBOARDING_STEP to the Task
 * state it serves. Builds its dependencies from the environment the control-plane stack sets.
 */
const logger = new Logger({ serviceName: 'onboarding' });

export function depsFromEnvironment(env = process.env): OnboardingDeps {
  const region = env.AWS_REGION ?? 'us-east-1';
  const rotatorArn = env.FLEET_ROTATOR_ARN;
  if (!rotatorArn) throw new Error('FLEET_ROTATOR_ARN is not set');
  return {
    sm: secretsManagerClient(),
    lambda: lambdaClient(),
    records: new OnboardingRecords(dynamoDbClient()),
    rotationStatus: new RotationStatusStore(dynamoDbClient()),
    audit: new EventBridgeAuditSink(eventBridgeClient(), auditBusName(), (reason) => logger.error('audit event not delivered', { reason })),
    account: rotatorArn.split(':')[4] ?? '',
    region,
    rotatorArn,
    placements: JSON.parse(env.ROTATOR_PLACEMENTS ?? '{}') as Record<string, string>,
    firstRotationMaxChecks: Number(env.FIRST_ROTATION_MAX_CHECKS ?? 60),
    now: () => Date.now(),
  };
}

let deps: OnboardingDeps | undefined;

export const handler = middy<OnboardingState, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (state) => {
    const step = process.env.ONBOARDING_STEP as StepName;
    if (!STEP_NAMES.includes(step)) throw new Error(`ONBOARDING_STEP "${step}" is not a step of the workflow`);
    deps ??= depsFromEnvironment();
    logger.appendKeys({ onboardingId: state.onboardingId, step });
    return ONBOARDING_TASKS[step](state, deps);
  });
