import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { clientsForSecret } from '../../shared/accounts.ts';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import { AwsClients } from '../../shared/aws/clients.ts';
import { lambdaClient, sfnClient } from '../../shared/aws/workflow-clients.ts';
import { RotationStatusStore } from '../../shared/rotation/status-store.ts';
import { observability, type MetricsSink } from '../../shared/runtime/observability.ts';
import { awsSettings, homeOf, resourceNames, type Environment } from '../../shared/runtime/settings.ts';
import type { OnboardingDeps } from './deps.ts';
import { OnboardingRecords } from './records.ts';
import { FirstRotationWaits } from './waits.ts';
import { STEP_NAMES, type OnboardingState, type StepName } from './state.ts';
import { ONBOARDING_TASKS } from './tasks.ts';
import { onRotationEvent, type RotationEvent } from './callback.ts';

export interface OnboardingOptions {
  now?: () => number;
  metrics?: MetricsSink;
}

/** The onboarding steps' dependencies from a function's environment (what the control-plane stack sets). */
export function onboardingDeps(env: Environment, clients: AwsClients, log: OnboardingDeps['log'], options: OnboardingOptions = {}): OnboardingDeps {
  const names = resourceNames(env);
  const rotatorArn = env.FLEET_ROTATOR_ARN;
  if (!rotatorArn) throw new Error('FLEET_ROTATOR_ARN is not set');
  const home = homeOf(env);
  const externalId = env.RCP_MEMBER_EXTERNAL_ID || undefined;
  return {
    smFor: (secretId) => clientsForSecret(clients, home, secretId, 'onboarding', { externalId, sessionName: 'rcp-onboarding' }).sm,
    lambda: lambdaClient(clients),
    records: new OnboardingRecords(clients.dynamodb, names.controlPlaneTable),
    rotationStatus: new RotationStatusStore(clients.dynamodb, names.controlPlaneTable),
    audit: new EventBridgeAuditSink(clients.events, names.auditBus, (reason) => log.error('audit event not delivered', { reason })),
    home,
    rotatorArn,
    placements: JSON.parse(env.ROTATOR_PLACEMENTS || '{}') as Record<string, string>,
    sfn: sfnClient(clients),
    waits: new FirstRotationWaits(clients.dynamodb, names.controlPlaneTable),
    log,
    now: options.now ?? Date.now,
  };
}

/**
 * One bundle for every onboarding step: each step's function sets ONBOARDING_STEP to the Task
 * state it serves. Everything is built once per container from the function's environment.
 */
export function createOnboardingHandler(env: Environment, options: OnboardingOptions = {}) {
  const step = env.ONBOARDING_STEP as StepName;
  if (!STEP_NAMES.includes(step)) throw new Error(`ONBOARDING_STEP "${step}" is not a step of the workflow`);
  const { logger, tracer, metrics } = observability('onboarding', options.metrics);
  const clients = new AwsClients(awsSettings(env), (client) => tracer.captureAWSv3Client(client));
  const deps = onboardingDeps(env, clients, { warn: (m, f) => logger.warn(m, f), error: (m, f) => logger.error(m, f) }, options);
  const task = ONBOARDING_TASKS[step];
  return middy<OnboardingState, unknown, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .handler(async (state) => {
      logger.appendKeys({ onboardingId: state.onboardingId, step });
      const started = Date.now();
      let outcome = 'succeeded';
      try {
        return await task(state, deps);
      } catch (err) {
        outcome = 'failed';
        throw err;
      } finally {
        metrics.put({ name: 'OnboardingStepLatency', unit: 'Milliseconds', value: Date.now() - started, dimensions: { step, outcome } });
        if (step === 'RecordSuccess' || step === 'RecordFailure') {
          const startedAt = Date.parse((await deps.records.get(state.onboardingId).catch(() => undefined))?.createdAt ?? '');
          if (Number.isFinite(startedAt)) metrics.put({ name: 'OnboardingDuration', unit: 'Milliseconds', value: deps.now() - startedAt, dimensions: { outcome: step === 'RecordSuccess' ? 'succeeded' : 'failed' } });
        }
        metrics.flush();
      }
    });
}

/**
 * The callback Lambda: an EventBridge rule on the audit bus delivers the rotator's Rotation
 * Succeeded / Rotation Failed, and the onboarding waiting for that rotation resumes.
 */
export function createRotationCallbackHandler(env: Environment, options: OnboardingOptions = {}) {
  const { logger, tracer } = observability('onboarding-callback', options.metrics);
  const clients = new AwsClients(awsSettings(env), (client) => tracer.captureAWSv3Client(client));
  const deps = onboardingDeps({ ...env, FLEET_ROTATOR_ARN: env.FLEET_ROTATOR_ARN || 'none' }, clients, { warn: (m, f) => logger.warn(m, f), error: (m, f) => logger.error(m, f) }, options);
  return middy<RotationEvent, unknown, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .handler(async (event) => {
      const result = await onRotationEvent(event, deps);
      logger.info('rotation event', { secretArn: event.detail?.secretArn, detailType: event['detail-type'], result });
      return result;
    });
}
