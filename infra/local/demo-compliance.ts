import { AddPermissionCommand, LambdaClient, ResourceConflictException } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, DescribeSecretCommand, ResourceNotFoundException, RotateSecretCommand, SecretsManagerClient, type Tag } from '@aws-sdk/client-secrets-manager';
import { join } from 'node:path';
import { TAGS } from '../../shared/names.ts';
import { PROJECT_ROOT } from '../aws/lib/lambda-bundle.ts';
import type { LocalCloud } from './cloud/server.ts';
import { DEMO_ORGANIZATION } from './demo-organization.ts';

const DAY_S = 86_400;
/** How far the demo's clock moves on the first start, so that never-rotated and unused secrets are old enough to fail. */
export const DEMO_AGE_DAYS = 91;
const MARKER = 'compliance/stale-db';

export interface SeededSecret {
  name: string;
  account: string;
  region: string;
  fails: string;
}

/**
 * Secrets that fail each compliance rule, in the demo organisation (`npm start`, unless
 * RCP_DEMO_COMPLIANCE=0): created once, then the local cloud's clock moves 91 days on so time-based
 * rules (SecretsManager.2, .3, .4) fail as they would in a real organisation. No value here is a
 * working credential. Returns what was seeded (nothing on a restart).
 */
export async function seedComplianceDemo(cloud: Pick<LocalCloud, 'url' | 'lambda' | 'region'>, team: string): Promise<SeededSecret[]> {
  const central = DEMO_ORGANIZATION.central.id;
  const member = DEMO_ORGANIZATION.members[0].id;
  const sm = (account: string) => new SecretsManagerClient({ endpoint: cloud.url, region: cloud.region, credentials: { accessKeyId: account, secretAccessKey: 'local' } });
  const owned: Tag[] = [{ Key: TAGS.team, Value: team }];
  const centralSm = sm(central);
  const memberSm = sm(member);
  try {
    try {
      await memberSm.send(new DescribeSecretCommand({ SecretId: MARKER }));
      return [];
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
    const fleet = `arn:aws:lambda:${cloud.region}:${central}:function:fleet-rotator`;
    const legacy = (await cloud.lambda.register({ account: central, region: cloud.region }, 'legacy-rotator', { kind: 'module', path: join(PROJECT_ROOT, 'infra/local/demo/legacy-rotator.ts'), exportName: 'handler' })).arn;
    const lambda = new LambdaClient({ endpoint: cloud.url, region: cloud.region, credentials: { accessKeyId: central, secretAccessKey: 'local' } });
    try {
      await lambda.send(new AddPermissionCommand({ FunctionName: legacy, StatementId: 'secrets-manager', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com', SourceAccount: central }));
    } catch (err) {
      if (!(err instanceof ResourceConflictException)) throw err;
    } finally {
      lambda.destroy();
    }
    const create = (client: SecretsManagerClient, name: string, tags: Tag[], value: Record<string, unknown>) =>
      client.send(new CreateSecretCommand({ Name: name, Description: 'compliance demo: fails a rule on purpose', SecretString: JSON.stringify(value), ...(tags.length ? { Tags: tags } : {}) }));
    const noLogin = { engine: 'postgres', host: '127.0.0.1', port: 1, username: 'compliance_demo', password: 'not-a-working-password', dbname: 'postgres' };
    const seeded: SeededSecret[] = [];
    const at = (account: string) => ({ account, region: cloud.region });

    await create(memberSm, MARKER, owned, noLogin);
    seeded.push({ name: MARKER, ...at(member), fails: 'secret-unused, periodic-rotation (never read or rotated in 91 days), rotation-enabled' });
    await create(centralSm, 'compliance/rare-rotation', owned, noLogin);
    await centralSm.send(new RotateSecretCommand({ SecretId: 'compliance/rare-rotation', RotationLambdaARN: fleet, RotationRules: { AutomaticallyAfterDays: 100 }, RotateImmediately: false }));
    seeded.push({ name: 'compliance/rare-rotation', ...at(central), fails: 'rotation-enabled (every 100 days against a 90-day maximum)' });
    await create(centralSm, 'compliance/no-owner', [], noLogin);
    seeded.push({ name: 'compliance/no-owner', ...at(central), fails: 'owner-tag, required-tags (no tags; only an auditor sees it)' });
    await create(centralSm, 'compliance/legacy-rotation', owned, noLogin);
    await centralSm.send(new RotateSecretCommand({ SecretId: 'compliance/legacy-rotation', RotationLambdaARN: legacy, RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediately: false }));
    seeded.push({ name: 'compliance/legacy-rotation', ...at(central), fails: "rotated-by-other, scheduled-rotation-success (another function's rotation, never done)" });
    await create(centralSm, 'compliance/rotation-turned-off', [...owned, { Key: TAGS.managed, Value: 'true' }], noLogin);
    seeded.push({ name: 'compliance/rotation-turned-off', ...at(central), fails: 'onboarded-rotation-off' });
    // The fleet rotator may rotate it (marked managed), but its credential logs in nowhere: rotation fails at setSecret.
    await create(centralSm, 'compliance/failing-rotation', [...owned, { Key: TAGS.managed, Value: 'true' }], noLogin);
    await centralSm.send(new RotateSecretCommand({ SecretId: 'compliance/failing-rotation', RotationLambdaARN: fleet, RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediately: true }));
    seeded.push({ name: 'compliance/failing-rotation', ...at(central), fails: 'rotation-failing (with the step, class and reason)' });

    const moved = await fetch(`${cloud.url}/_local/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: DEMO_AGE_DAYS * DAY_S }) });
    if (!moved.ok) throw new Error(`could not move the local cloud's clock: ${moved.status}`);
    return seeded;
  } finally {
    centralSm.destroy();
    memberSm.destroy();
  }
}

/** Runs a full evaluation now (as the hourly schedule would), so the first `rotctl compliance` has results. */
export async function evaluateNow(cloud: Pick<LocalCloud, 'lambda' | 'account' | 'region'>, functionArn: string): Promise<void> {
  const result = await cloud.lambda.invoke(functionArn, { action: 'evaluate', actor: 'npm start' }, { account: cloud.account, region: cloud.region });
  if (result.functionError) throw new Error('the first compliance evaluation failed');
}
