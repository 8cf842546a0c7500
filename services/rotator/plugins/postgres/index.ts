import { isIP } from 'node:net';
import type { Client as PgClient } from 'pg';
import { RotationError } from '../../../../shared/errors/rotation-error.ts';
import { connectWithTlsPolicy } from '../../connection/tls-policy.ts';
import { endpoint, errorCodes, failure, networkFailure, serviceError } from '../../connection/failure.ts';
import type { Credential, ServicePlugin, Session } from '../../types.ts';
import * as z from 'zod/mini';
import { credentialSchema, text } from '../credential-schema.ts';
import { scramVerifier } from './scram.ts';

const schema = z.extend(credentialSchema(['postgres', 'aurora-postgresql'], 5432), {
  username: text(63),
  dbname: z._default(text(63), 'postgres'),
});

function classify(err: unknown, where: string, credential: Credential, secrets: string[] = []): RotationError {
  const network = networkFailure(err, where);
  if (network) return network;
  const codes = errorCodes(err);
  if (codes.includes('28P01') || codes.includes('28000')) return failure('AuthenticationFailed', where, `authentication failed for user "${credential.username}"`);
  if (codes.includes('42501')) return failure('PermissionDenied', where, `permission denied for user "${credential.username}"`);
  if (codes.includes('3D000')) return failure('ServiceError', where, 'the database named by "dbname" does not exist');
  return serviceError(err, where, [credential.password, ...secrets]);
}

class PostgresSession implements Session {
  constructor(
    private readonly client: PgClient,
    readonly transport: Session['transport'],
    private readonly credential: Credential,
    private readonly where: string,
  ) {}

  /** `secrets`: the verifier literals in `sql`, cut out of any error that quotes the statement. */
  private async run(sql: string, params: unknown[] = [], secrets: string[] = []): Promise<{ rows: Array<Record<string, unknown>> }> {
    try {
      return await this.client.query(sql, params);
    } catch (err) {
      throw classify(err, this.where, this.credential, secrets);
    }
  }

  async check(): Promise<void> {
    await this.run('SELECT 1');
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  // Identifiers and literals are quoted by the driver; DDL takes no bind parameters.
  private password(password: string): string {
    return this.client.escapeLiteral(scramVerifier(password));
  }

  private async setPassword(role: string, password: string, options = ''): Promise<void> {
    const literal = this.password(password);
    await this.run(`ALTER ROLE ${role} WITH ${options}PASSWORD ${literal}`, [], [literal, password]);
  }

  async changeOwnPassword(newPassword: string): Promise<void> {
    await this.setPassword('CURRENT_USER', newPassword);
  }

  async setUserPassword(username: string, password: string): Promise<void> {
    await this.setPassword(this.client.escapeIdentifier(username), password);
  }

  /** The clone is a member of the original role, so it holds exactly its privileges (as AWS's multi-user template does). */
  async cloneUser(source: string, target: string, password: string): Promise<void> {
    const exists = await this.run('SELECT 1 FROM pg_roles WHERE rolname = $1', [target]);
    const role = this.client.escapeIdentifier(target);
    if (exists.rows.length === 0) {
      const literal = this.password(password);
      await this.run(`CREATE ROLE ${role} WITH LOGIN PASSWORD ${literal} IN ROLE ${this.client.escapeIdentifier(source)}`, [], [literal, password]);
    } else {
      await this.setPassword(role, password, 'LOGIN ');
      await this.run(`GRANT ${this.client.escapeIdentifier(source)} TO ${role}`);
    }
  }
}

export const postgresPlugin: ServicePlugin = {
  name: 'postgres',
  engines: ['postgres', 'aurora-postgresql'],
  schema,
  // Characters that break libpq connection strings and URLs are left out; 32 characters is RDS's default.
  passwordPolicy: { length: 32, excludeCharacters: '/@"\'\\:?#[]%' },
  strategies: ['single-user', 'alternating-users'],
  async connect(credential, { timeoutMs }) {
    const { default: pg } = await import('pg');
    const c = schema.parse(credential);
    const where = `postgres ${endpoint(c.host, c.port)}`;
    try {
      const { value, transport } = await connectWithTlsPolicy(
        c.ssl,
        where,
        async (tls) => {
          const client = new pg.Client({
            host: c.host,
            port: c.port,
            user: c.username,
            password: c.password,
            database: c.dbname,
            ssl: tls ? { rejectUnauthorized: true, servername: isIP(c.host) ? undefined : c.host } : false,
            connectionTimeoutMillis: timeoutMs,
            query_timeout: timeoutMs,
            statement_timeout: timeoutMs,
            application_name: 'fleet-rotator',
          });
          client.on('error', () => undefined);
          try {
            await client.connect();
          } catch (err) {
            await client.end().catch(() => undefined);
            throw err;
          }
          return client;
        },
        (err) => (err as Error)?.message === 'The server does not support SSL connections',
      );
      return new PostgresSession(value, transport, c, where);
    } catch (err) {
      throw classify(err, where, c);
    }
  },
};
