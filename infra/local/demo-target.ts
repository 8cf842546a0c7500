import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { startPasswordPostgres, type PasswordPostgres } from './password-postgres.ts';
import { TAGS } from '../../shared/names.ts';

export const DEMO_SECRET_NAME = 'demo/postgres';
const DEMO_ROLE = 'demo_app';

export interface DemoTarget {
  postgres: PasswordPostgres;
  secretArn: string;
  stop(): Promise<void>;
}

/**
 * The embedded default's demo target: a password-checking PostgreSQL (data kept in the state
 * folder) with an application role, and its credential as the secret `demo/postgres`. A restart
 * keeps both; if the secret is gone, the role gets a fresh password and a new secret.
 */
export async function startDemoTarget(cloudUrl: string, region: string, stateDir: string, port: number, team: string): Promise<DemoTarget> {
  const postgres = await startPasswordPostgres({ dir: join(stateDir, 'demo-postgres'), port, persistent: true });
  const sm = new SecretsManagerClient({ endpoint: cloudUrl, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let secretArn: string;
  try {
    secretArn = (await sm.send(new DescribeSecretCommand({ SecretId: DEMO_SECRET_NAME }))).ARN!;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    const password = randomBytes(18).toString('base64url');
    const admin = new pg.Client({ host: '127.0.0.1', port, user: postgres.admin.username, password: postgres.admin.password, database: 'postgres' });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [DEMO_ROLE]);
      const verb = exists.rowCount ? 'ALTER' : 'CREATE';
      await admin.query(`${verb} ROLE ${DEMO_ROLE} WITH LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
    } finally {
      await admin.end();
    }
    const created = await sm.send(
      new CreateSecretCommand({
        Name: DEMO_SECRET_NAME,
        Description: 'demo credential of the embedded default',
        SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port, username: DEMO_ROLE, password, dbname: 'postgres', ssl: false }),
        // Owned by the demo team, as a team would tag its own secret before onboarding it.
        Tags: [{ Key: TAGS.team, Value: team }],
      }),
    );
    secretArn = created.ARN!;
  }
  sm.destroy();
  return { postgres, secretArn, stop: () => postgres.stop() };
}
