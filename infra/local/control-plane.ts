import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeAuditSink } from '../../shared/audit/audit-publisher.ts';
import type { ApiDeps } from '../../services/api/onboarding-service.ts';
import type { OnboardingDeps } from '../../services/onboarding/deps.ts';
import { OnboardingRecords } from '../../services/onboarding/records.ts';
import { RotationStatusStore } from '../../shared/rotation-status/rotation-status-store.ts';
import { startApiServer } from './api-server.ts';
import type { LocalCloud } from './cloud/server.ts';
import { FLEET_ROTATOR } from './functions.ts';
import { LocalWorkflowRunner, synthesizedWorkflowDefinition } from './workflow-runner.ts';
import { auditBusName } from '../../shared/names.ts';

/**
 * The control plane of the embedded default: the REST API on a local port, the onboarding
 * workflow (the ASL the CDK app synthesises) run by the local runner, both talking to the local
 * cloud through the standard SDK clients, exactly as the Lambdas talk to AWS.
 */
export async function startControlPlane(cloud: LocalCloud, options: { port: number; tokens: string; pollMs?: number }) {
  const config = { endpoint: cloud.url, region: cloud.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 };
  const sm = new SecretsManagerClient(config);
  const dynamodb = new DynamoDBClient(config);
  const records = new OnboardingRecords(dynamodb);
  const audit = new EventBridgeAuditSink(new EventBridgeClient(config), auditBusName(), (reason) =>
    console.error(`[control-plane] audit event not delivered: ${reason}`),
  );
  const workflowDeps: OnboardingDeps = {
    sm,
    lambda: new LambdaClient(config),
    records,
    rotationStatus: new RotationStatusStore(dynamodb),
    audit,
    account: cloud.account,
    region: cloud.region,
    rotatorArn: `arn:aws:lambda:${cloud.region}:${cloud.account}:function:${FLEET_ROTATOR}`,
    placements: JSON.parse(process.env.ROTATOR_PLACEMENTS ?? '{}') as Record<string, string>,
    firstRotationMaxChecks: Number(process.env.FIRST_ROTATION_MAX_CHECKS ?? 60),
    now: () => cloud.clock.now(),
  };
  const runner = new LocalWorkflowRunner(synthesizedWorkflowDefinition(), workflowDeps, { pollMs: options.pollMs ?? 1000, retryMs: 500 });
  const running = new Set<Promise<unknown>>();
  const deps: ApiDeps = {
    sm,
    records,
    rotationStatus: new RotationStatusStore(dynamodb),
    audit,
    account: cloud.account,
    region: cloud.region,
    now: () => cloud.clock.now(),
    workflow: {
      async start(state) {
        const execution = runner.start(state);
        const done = execution.result.then((r) => {
          if (r.status === 'FAILED') console.error(`[control-plane] onboarding ${state.onboardingId} failed: ${r.error}`);
        });
        running.add(done);
        void done.finally(() => running.delete(done));
        return { executionArn: execution.executionArn };
      },
    },
  };
  const api = await startApiServer(deps, dynamodb, { port: options.port, tokens: options.tokens });
  return {
    url: api.url,
    async stop() {
      await api.stop();
      await Promise.allSettled([...running]);
    },
  };
}
