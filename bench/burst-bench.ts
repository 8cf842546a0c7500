import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateSecretCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AddPermissionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createClient } from '@redis/client';
import { cloudSettings, startCloudRuntime } from '../infra/local/cloud-runtime.ts';
import { applyStacks } from '../infra/local/deploy/apply.ts';
import { PROJECT_ROOT } from '../test/support/cloud-process.ts';
import { FLEET_ROTATOR_ARN } from '../test/support/rotation-harness.ts';
import { forEachLimited } from '../shared/concurrency.ts';

/**
 * Bursts at Secrets Manager's physical cap: N secrets (BENCH_BURST_SECRETS, default 2,000) fall due
 * in the same rotation window while the local cloud enforces AWS's per-account-region quotas
 * (LOCAL_CLOUD_FAULTS-style `throttle` on every Secrets Manager operation: 50 writes/s). Every
 * rotation must succeed, none may fail because of throttling, and the whole burst must end within
 * 1.1 x N / 25 s (a rotation needs two writes). With the secrets spread over 4 member accounts,
 * each account has its own quota (the rotator writes through the member's role): 4x the rate.
 *
 * The credentials are real Redis ACL users (one per secret): the figure is the quota and the
 * rotator's pacing, not a database's login cost. The cloud runs in this process; the bench only
 * sets up, opens the window (advances the cloud's clock by two days) and counts the service's
 * RotationSucceeded / RotationFailed events.
 */

const ORGANIZATION_ID = 'o-rcpbench0001';
const CENTRAL = '000000000000';
const EXTERNAL_ID = 'rcp-bench-external-id';
const MANAGED = [{ Key: 'rcp:managed', Value: 'true' }];

export interface BurstFigures {
  accounts: number;
  secrets: number;
  seconds: number;
  goalSeconds: number;
  perSecond: number;
  succeeded: number;
  failed: number;
  throttledStepFailures: number;
  retriedWrites: number;
}

/** One burst: `secrets` secrets over `accounts` accounts (1: the central account itself; more: member accounts through their roles). */
export async function burst(secrets: number, accounts: number): Promise<BurstFigures> {
  const members = accounts > 1 ? Array.from({ length: accounts }, (_, i) => String(111_111_111_111 * (i + 1)).slice(0, 12)) : [];
  const stateDir = await mkdtemp(join(PROJECT_ROOT, '.test-tmp', 'burst-'));
  const settings = { ...cloudSettings({ port: '0', stateDir, quiet: true }, { ...process.env, LOCAL_CLOUD_LOG: '0' }), schedulerIntervalMs: 200 };
  const previousLogLevel = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const { cloud, stacks } = await startCloudRuntime(settings, {
    metrics: { put: () => undefined, flush: () => undefined },
    organization: { organizationId: ORGANIZATION_ID, memberAccountIds: members, externalId: EXTERNAL_ID, regions: ['us-east-1'] },
    cloudOrganization: { id: ORGANIZATION_ID, managementAccount: CENTRAL, accounts: [CENTRAL, ...members].map((id) => ({ id, name: `account-${id}` })) },
  });
  const redis = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
  const users: string[] = [];
  try {
    const lambda = new LambdaClient({ endpoint: cloud.url, region: cloud.region, credentials: { accessKeyId: CENTRAL, secretAccessKey: 'bench' } });
    for (const member of members) {
      // What onboarding's "ensure invoke permission" step grants each member account.
      await lambda.send(new AddPermissionCommand({ FunctionName: FLEET_ROTATOR_ARN, StatementId: `bench-${member}`, Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com', SourceAccount: member }));
      await applyStacks(cloud, [
        { name: 'RcpMemberRoles', template: stacks.memberRoles, account: member, region: cloud.region, parameters: { CentralAccountId: CENTRAL, ExternalId: EXTERNAL_ID, OrganizationId: ORGANIZATION_ID } },
      ]);
    }
    await redis.connect();
    const homes = members.length > 0 ? members : [CENTRAL];
    const clients = new Map(homes.map((account) => [account, new SecretsManagerClient({ endpoint: cloud.url, region: cloud.region, credentials: { accessKeyId: account, secretAccessKey: 'bench' }, maxAttempts: 10 })]));
    const indexes = Array.from({ length: secrets }, (_, i) => i);
    const prefix = `burst-${process.pid}-${accounts}`;
    const multi = redis.multi();
    for (const i of indexes) {
      users.push(`${prefix}-${i}`);
      multi.addCommand(['ACL', 'SETUSER', `${prefix}-${i}`, 'on', `>initial-${i}`, '~burst:*', '+@all']);
    }
    await multi.exec();

    // Set up without quotas (a burst of set-up calls is not what is measured), then turn them on.
    await forEachLimited(indexes, 16, async (i) => {
      const sm = clients.get(homes[i % homes.length]!)!;
      const created = await sm.send(
        new CreateSecretCommand({ Name: `${prefix}/${i}`, Tags: MANAGED, SecretString: JSON.stringify({ engine: 'redis', host: '127.0.0.1', port: 6379, username: `${prefix}-${i}`, password: `initial-${i}`, ssl: false }) }),
      );
      // Rotation on, first rotation a day later: every secret's window opens at the same midnight.
      await sm.send(new RotateSecretCommand({ SecretId: created.ARN!, RotationLambdaARN: FLEET_ROTATOR_ARN, RotateImmediately: false, RotationRules: { AutomaticallyAfterDays: 1 } }));
    });
    await cloud.rotations.idle();
    cloud.faults.set({ 'secretsmanager:*': { throttle: true } });
    cloud.calls.reset();

    let after: string | undefined;
    const outcome = new Map<string, string>();
    const poll = async () => {
      const res = await fetch(`${cloud.url}/_local/events?source=aws.secretsmanager&limit=10000${after ? `&after=${after}` : ''}`);
      const { events } = (await res.json()) as { events: Array<{ id: string; detail: { eventName: string; additionalEventData: { SecretId: string } } }> };
      for (const e of events) {
        after = e.id;
        if (e.detail.eventName === 'RotationSucceeded' || e.detail.eventName === 'RotationFailed') outcome.set(`${e.detail.additionalEventData.SecretId}`, e.detail.eventName);
      }
    };
    await poll();
    outcome.clear();

    const t0 = performance.now();
    cloud.clock.advance(2 * 86_400_000);
    const deadline = Date.now() + Math.max(120_000, (secrets / 25) * 3000);
    while (outcome.size < secrets && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      await poll();
    }
    const seconds = (performance.now() - t0) / 1000;
    const failed = [...outcome.values()].filter((o) => o === 'RotationFailed').length;
    const audit = (await (await fetch(`${cloud.url}/_local/events?bus=rcp-audit&limit=100000`)).json()) as { events: Array<{ 'detail-type': string; detail: { errorMessage?: string } }> };
    const throttledStepFailures = audit.events.filter((e) => e['detail-type'] === 'Rotation Step Failed' && /Throttl/i.test(e.detail.errorMessage ?? '')).length;
    const calls = cloud.calls.snapshot();
    const writes = (calls['secretsmanager:PutSecretValue'] ?? 0) + (calls['secretsmanager:UpdateSecretVersionStage'] ?? 0);
    return {
      accounts: homes.length,
      secrets,
      seconds,
      goalSeconds: (1.1 * secrets) / (25 * homes.length),
      perSecond: (outcome.size - failed) / seconds,
      succeeded: outcome.size - failed,
      failed,
      throttledStepFailures,
      retriedWrites: Math.max(0, writes - 2 * secrets),
    };
  } finally {
    for (const user of users) await redis.sendCommand(['ACL', 'DELUSER', user]).catch(() => undefined);
    await redis.close().catch(() => undefined);
    await cloud.stop();
    await rm(stateDir, { recursive: true, force: true });
    if (previousLogLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = previousLogLevel;
  }
}

export async function burstBench(): Promise<BurstFigures[]> {
  const secrets = Number(process.env.BENCH_BURST_SECRETS ?? 2000);
  const accountCounts = (process.env.BENCH_BURST_ACCOUNTS ?? '1,4').split(',').map(Number);
  console.log(`\n== bursts at Secrets Manager's cap (${secrets} secrets due at once, quotas enforced: 50 writes/s per account-region)`);
  const all: BurstFigures[] = [];
  for (const accounts of accountCounts) {
    const f = await burst(secrets, accounts);
    all.push(f);
    console.log(
      `  ${String(f.accounts).padStart(1)} account${f.accounts > 1 ? 's' : ' '}: ${f.seconds.toFixed(1).padStart(6)} s (goal <= ${f.goalSeconds.toFixed(1)} s)  ${f.perSecond.toFixed(1)} rotations/s  ` +
        `succeeded ${f.succeeded}/${f.secrets}, failed ${f.failed} (goal 0), steps failed by throttling ${f.throttledStepFailures} (goal 0), writes sent again after a throttle ${f.retriedWrites}`,
    );
  }
  return all;
}

if (import.meta.url === `file://${process.argv[1]}`) await burstBench();
