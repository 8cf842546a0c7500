import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand, type Tag } from '@aws-sdk/client-secrets-manager';
import { admin, awsClients, uniqueName } from './aws-clients.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from './cloud-process.ts';

export const FLEET_ROTATOR_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:fleet-rotator';

/** A team's own secret, and an admin credential the team offers to its secrets' masterarn. */
export const TEAM_TAGS = [{ Key: 'rcp:team', Value: 'team-a' }];
export const ADMIN_TAGS = [...TEAM_TAGS, { Key: 'rcp:admin-credential', Value: 'true' }];

export interface AuditEvent {
  'detail-type': string;
  detail: {
    secretArn: string;
    step: string;
    outcome: string;
    errorClass?: string;
    errorMessage?: string;
    transport?: string;
    strategy?: string;
    username?: string;
    durationMs: number;
  };
}

export interface RotatorCloud {
  cloud: CloudProcess;
  clients: ReturnType<typeof awsClients>;
  /**
   * A secret the fleet rotator may rotate: tagged `rcp:managed=true`, as onboarding tags it (the
   * rotator's role rotates nothing else). `managed: false` for a secret onboarding should mark.
   */
  createSecret(value: unknown, tags?: Tag[], options?: { managed?: boolean }): Promise<{ name: string; arn: string }>;
  /** RotateSecret with the fleet rotator, then waits for the service's verdict. */
  rotate(arn: string): Promise<{ outcome: 'RotationSucceeded' | 'RotationFailed'; audit: AuditEvent[] }>;
  value(arn: string, stage?: string): Promise<Record<string, unknown>>;
  stages(arn: string): Promise<Record<string, string[]>>;
  audit(arn: string): Promise<AuditEvent[]>;
  stop(): Promise<void>;
}

/** A local cloud of the test's own (its output is the rotator's captured log), with a short connection timeout. */
export async function startRotatorCloud(prefix: string, env: Record<string, string> = {}): Promise<RotatorCloud> {
  const cloud = await startCloudProcess({ stateDir: await tempStateDir(prefix), env: { ROTATOR_CONNECT_TIMEOUT_MS: '2000', ...env } });
  const clients = awsClients(cloud.url, { maxAttempts: 3 });

  const serviceEvents = async (arn: string) => {
    const { events } = await admin<{ events: Array<{ detail: { eventName: string; additionalEventData: { SecretId: string } } }> }>(
      cloud.url,
      '/_local/events?source=aws.secretsmanager',
    );
    return events.filter((e) => e.detail.additionalEventData.SecretId === arn).map((e) => e.detail.eventName);
  };
  const audit = async (arn: string) => {
    const { events } = await admin<{ events: AuditEvent[] }>(cloud.url, '/_local/events?bus=rcp-audit');
    return events.filter((e) => e.detail.secretArn === arn);
  };

  return {
    cloud,
    clients,
    async createSecret(value, tags = [], options = {}) {
      const name = uniqueName(prefix);
      const managed = options.managed ?? true;
      const out = await clients.sm.send(
        new CreateSecretCommand({ Name: name, SecretString: typeof value === 'string' ? value : JSON.stringify(value), Tags: [...tags, ...(managed ? [{ Key: 'rcp:managed', Value: 'true' }] : [])] }),
      );
      return { name, arn: out.ARN! };
    },
    async rotate(arn) {
      const before = (await serviceEvents(arn)).filter((e) => e === 'RotationSucceeded' || e === 'RotationFailed').length;
      await clients.sm.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: FLEET_ROTATOR_ARN, RotationRules: { AutomaticallyAfterDays: 30 } }));
      const deadline = Date.now() + 30_000;
      for (;;) {
        const outcomes = (await serviceEvents(arn)).filter((e) => e === 'RotationSucceeded' || e === 'RotationFailed');
        if (outcomes.length > before) return { outcome: outcomes.at(-1) as 'RotationSucceeded' | 'RotationFailed', audit: await audit(arn) };
        if (Date.now() > deadline) throw new Error(`rotation of ${arn} did not finish within 30 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async value(arn, stage = 'AWSCURRENT') {
      return JSON.parse((await clients.sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }))).SecretString!) as Record<string, unknown>;
    },
    async stages(arn) {
      return (await clients.sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages!;
    },
    audit,
    stop: () => cloud.stop(),
  };
}

/** Every audit event and log line of the run, to prove no secret value reached any of them. */
export async function everythingPublished(rc: RotatorCloud): Promise<string> {
  const { events } = await admin<{ events: unknown[] }>(rc.cloud.url, '/_local/events');
  return `${rc.cloud.output()}\n${JSON.stringify(events)}`;
}
