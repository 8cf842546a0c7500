import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { RESOURCES, TAGS } from '../../shared/names.ts';
import type { LocalCloud } from './cloud/server.ts';
import { applyStacks } from './deploy/apply.ts';
import type { LocalStacks } from './deploy/synth.ts';
import type { PasswordPostgres } from './password-postgres.ts';

/**
 * The embedded default's organisation: the central account that runs the control plane and two
 * member accounts, in two regions. Each account acts with its own 12-digit access key id.
 */
export const DEMO_ORGANIZATION = {
  id: 'o-rcpdemo00001',
  central: { id: '000000000000', name: 'platform' },
  members: [
    { id: '111111111111', name: 'payments' },
    { id: '222222222222', name: 'analytics' },
  ],
  regions: ['us-east-1', 'eu-west-1'],
  externalId: 'rcp-demo-external-id',
} as const;

export const demoOrganizationSetup = () => ({
  organizationId: DEMO_ORGANIZATION.id,
  memberAccountIds: DEMO_ORGANIZATION.members.map((m) => m.id),
  externalId: DEMO_ORGANIZATION.externalId,
  regions: [...DEMO_ORGANIZATION.regions],
});

export const demoOrganizationConfig = () => ({
  id: DEMO_ORGANIZATION.id,
  managementAccount: DEMO_ORGANIZATION.central.id,
  accounts: [DEMO_ORGANIZATION.central, ...DEMO_ORGANIZATION.members].map((a) => ({ id: a.id, name: a.name })),
});

/**
 * The organisation as `npm start` prints it: each account with its role, its regions and the keys
 * that act in it (the local cloud takes a 12-digit access key id as that account; any secret key).
 */
export function organizationBanner(cloudUrl: string): string[] {
  const accounts = [
    { ...DEMO_ORGANIZATION.central, kind: 'central: control plane, fleet rotator' },
    ...DEMO_ORGANIZATION.members.map((m) => ({ ...m, kind: 'member: RcpMemberRoles, RcpMemberForwarding' })),
  ];
  const width = Math.max(...accounts.map((a) => a.name.length));
  return [
    `organisation ${DEMO_ORGANIZATION.id} on ${cloudUrl}: ${accounts.length} accounts, each in ${DEMO_ORGANIZATION.regions.join(' and ')}`,
    ...accounts.map((a) => `  ${a.id}  ${a.name.padEnd(width)}  ${a.kind}`),
    `act in an account with its id as the access key (any secret key), in ${DEMO_ORGANIZATION.regions.join(' or ')} (the aws CLI and boto3 read AWS_DEFAULT_REGION, the JS SDK AWS_REGION):`,
    ...accounts.map((a) => `  ${a.name.padEnd(width)}  export AWS_ACCESS_KEY_ID=${a.id} AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=${DEMO_ORGANIZATION.regions[0]} AWS_REGION=${DEMO_ORGANIZATION.regions[0]}`),
  ];
}

/**
 * Each member account deploys what a StackSet would give it: the member roles once (IAM is global)
 * and the event forwarding in every region, pointed at the central account's org events bus.
 */
export async function deployMemberStacks(cloud: LocalCloud, stacks: LocalStacks): Promise<void> {
  const centralBus = `arn:aws:events:${cloud.region}:${DEMO_ORGANIZATION.central.id}:event-bus/${RESOURCES.orgEventsBus}`;
  for (const member of DEMO_ORGANIZATION.members) {
    await applyStacks(cloud, [
      {
        name: 'RcpMemberRoles',
        template: stacks.memberRoles,
        account: member.id,
        region: cloud.region,
        parameters: { CentralAccountId: DEMO_ORGANIZATION.central.id, ExternalId: DEMO_ORGANIZATION.externalId, OrganizationId: DEMO_ORGANIZATION.id },
      },
      ...DEMO_ORGANIZATION.regions.map((region) => ({ name: 'RcpMemberForwarding', template: stacks.memberForwarding, account: member.id, region, parameters: { CentralEventBusArn: centralBus } })),
    ]);
  }
}

export interface DemoCredential {
  account: string;
  region: string;
  name: string;
  role: string;
}

/** The demo credentials: one in the central account, one in each member account (the second in another region). */
export const DEMO_CREDENTIALS: DemoCredential[] = [
  { account: DEMO_ORGANIZATION.central.id, region: DEMO_ORGANIZATION.regions[0], name: 'demo/postgres', role: 'demo_app' },
  { account: DEMO_ORGANIZATION.members[0].id, region: DEMO_ORGANIZATION.regions[0], name: 'payments/orders-db', role: 'payments_app' },
  { account: DEMO_ORGANIZATION.members[1].id, region: DEMO_ORGANIZATION.regions[1], name: 'analytics/warehouse-db', role: 'analytics_app' },
];

/**
 * A login on the demo PostgreSQL and its secret in its account and region, owned by the demo team
 * (as a team tags its own secret before onboarding it). A restart keeps both; a missing secret gets
 * a fresh password; a changed port (DEMO_POSTGRES_PORT) is written into the secret.
 */
export async function ensureDemoCredential(cloud: Pick<LocalCloud, 'url'>, postgres: PasswordPostgres, credential: DemoCredential, team: string): Promise<{ arn: string; onboarded: boolean }> {
  const sm = new SecretsManagerClient({ endpoint: cloud.url, region: credential.region, credentials: { accessKeyId: credential.account, secretAccessKey: 'local' } });
  try {
    const described = await sm.send(new DescribeSecretCommand({ SecretId: credential.name }));
    const value = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: described.ARN }))).SecretString ?? '{}') as Record<string, unknown>;
    // The same cluster on another port: the credential still holds, only the address changed.
    if (value.port !== postgres.port) await sm.send(new PutSecretValueCommand({ SecretId: described.ARN, SecretString: JSON.stringify({ ...value, port: postgres.port }) }));
    return { arn: described.ARN!, onboarded: described.Tags?.some((t) => t.Key === TAGS.managed && t.Value === 'true') ?? false };
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  } finally {
    sm.destroy();
  }
  const password = randomBytes(18).toString('base64url');
  const admin = new pg.Client({ host: '127.0.0.1', port: postgres.port, user: postgres.admin.username, password: postgres.admin.password, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [credential.role]);
    await admin.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${admin.escapeIdentifier(credential.role)} WITH LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
  } finally {
    await admin.end();
  }
  const client = new SecretsManagerClient({ endpoint: cloud.url, region: credential.region, credentials: { accessKeyId: credential.account, secretAccessKey: 'local' } });
  try {
    const created = await client.send(
      new CreateSecretCommand({
        Name: credential.name,
        Description: 'demo credential of the embedded default',
        SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port: postgres.port, username: credential.role, password, dbname: 'postgres', ssl: false }),
        Tags: [{ Key: TAGS.team, Value: team }],
      }),
    );
    return { arn: created.ARN!, onboarded: false };
  } finally {
    client.destroy();
  }
}
