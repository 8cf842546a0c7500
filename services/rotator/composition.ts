import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import { AwsClients } from '../../shared/aws/clients.ts';
import { clientsForSecret } from '../../shared/accounts.ts';
import { RotationStatusStore } from '../../shared/rotation/status-store.ts';
import { observability, type MetricsSink } from '../../shared/runtime/observability.ts';
import { awsSettings, homeOf, positiveInt, resourceNames, type Environment } from '../../shared/runtime/settings.ts';
import type { RotatorDeps } from './deps.ts';
import { pluginFor } from './plugins/registry.ts';
import { runPreflight } from './preflight.ts';
import { isPreflight } from './protocol/events.ts';
import { runStep } from './protocol/step-protocol.ts';
import { SecretStore } from './secret-store.ts';

export interface RotatorOptions {
  /** The control plane's clock (the local cloud's, in the embedded default). */
  now?: () => number;
  metrics?: MetricsSink;
}

/**
 * The fleet rotator's composition root: every client and dependency, built once per container from
 * the function's environment. A secret in another account is reached through that account's
 * rotation role, so each member's own Secrets Manager quota applies.
 */
export function createRotatorHandler(env: Environment, options: RotatorOptions = {}) {
  const { logger, tracer, metrics } = observability('fleet-rotator', options.metrics);
  // The rotator paces its Secrets Manager writes itself (write-pacer.ts); adaptive retries would
  // also hold back every read of the shared client after one throttle.
  const aws = { ...awsSettings(env), retryMode: 'standard' as const };
  const names = resourceNames(env);
  const clients = new AwsClients(aws, (client) => tracer.captureAWSv3Client(client));
  const externalId = env.RCP_MEMBER_EXTERNAL_ID || undefined;
  const home = homeOf(env);
  const stores = new Map<AwsClients, SecretStore>();
  const storeOf = (c: AwsClients) => {
    let store = stores.get(c);
    if (!store) stores.set(c, (store = new SecretStore(c.sm)));
    return store;
  };

  const deps: RotatorDeps = {
    storeFor: (secretId) => storeOf(clientsForSecret(clients, home, secretId, 'rotation', { externalId, sessionName: 'fleet-rotator' })),
    audit: new EventBridgeAuditSink(clients.events, names.auditBus, (reason) => logger.error('audit event not delivered', { reason })),
    log: {
      info: (message, fields) => logger.info(message, fields),
      warn: (message, fields) => logger.warn(message, fields),
      error: (message, fields) => logger.error(message, fields),
    },
    pluginFor,
    connectTimeoutMs: positiveInt(env.ROTATOR_CONNECT_TIMEOUT_MS, 5000),
    actor: 'fleet-rotator',
    account: home.account,
    region: home.region,
    status: new RotationStatusStore(clients.dynamodb, names.controlPlaneTable),
    measure(m) {
      const dimensions = { step: m.step, outcome: m.outcome, engine: m.engine ?? 'unknown', strategy: m.strategy ?? 'unknown' };
      metrics.put({ name: 'RotationStep', unit: 'Count', value: 1, dimensions });
      metrics.put({ name: 'RotationStepLatency', unit: 'Milliseconds', value: m.durationMs, dimensions: { step: m.step, engine: dimensions.engine } });
      if (m.step === 'finishSecret' || m.outcome === 'failed') {
        metrics.put({ name: m.outcome === 'failed' ? 'RotationFailed' : 'RotationSucceeded', unit: 'Count', value: 1, dimensions: { engine: dimensions.engine, strategy: dimensions.strategy } });
      }
    },
    now: options.now ?? Date.now,
  };

  // Only setSecret changes the service, so only it keeps a record: a setSecret delivered again after
  // it finished returns the first result without logging in again. The other steps are safe to
  // repeat by the protocol itself (a version under the token, a read, a label move).
  const idempotency = new IdempotencyConfig({ eventKeyJmesPath: '[SecretId, ClientRequestToken, Step]', expiresAfterSeconds: 3600, throwOnNoIdempotencyKey: true });
  /**
   * When a step must be done by: the invocation's own deadline, less what reporting a failure takes.
   * Steps wait for Secrets Manager's write quota until then (services/rotator/write-pacer.ts).
   */
  const deadlineOf = (context: Context | undefined) => Date.now() + Math.max(1000, (context?.getRemainingTimeInMillis?.() ?? 30_000) - 5000);
  const setSecretOnce = makeIdempotent((event: unknown, context: Context) => runStep(event, deps, deadlineOf(context)), {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: names.rotatorIdempotencyTable, awsSdkV3Client: clients.dynamodb }),
    config: idempotency,
  });

  /**
   * A record still in progress may belong to an invocation that died (a timeout, a crash): waiting
   * for its deadline would hold the rotation up to a whole Lambda timeout. setSecret is safe to run
   * beside another delivery of itself (both set the same pending password; a clone created by one
   * is updated by the other), so this delivery runs the step at once.
   */
  async function setSecret(event: unknown, context: Context): Promise<unknown> {
    try {
      return await setSecretOnce(event, context);
    } catch (err) {
      if (!(err instanceof IdempotencyAlreadyInProgressError)) throw err;
      return runStep(event, deps, deadlineOf(context));
    }
  }

  return middy<unknown, unknown, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .handler(async (event, context) => {
      idempotency.registerLambdaContext(context);
      try {
        // Onboarding's preflight goes through the rotator: it is the only role that reads secret values.
        if (isPreflight(event)) return await runPreflight(event, deps);
        if ((event as { Step?: unknown } | null)?.Step === 'setSecret') await setSecret(event, context);
        else await runStep(event, deps, deadlineOf(context));
        return null;
      } finally {
        metrics.flush();
      }
    });
}
