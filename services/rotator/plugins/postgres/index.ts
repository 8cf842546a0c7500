import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client as PgClient } from 'pg';
import * as z from 'zod/mini';
import { endpoint } from '../../connection/failure.ts';
import type { Credential, ServicePlugin } from '../../types.ts';
import { credentialSchema, text } from '../credential-schema.ts';
import { connectSql, sqlFailure, SqlSession, type SqlFailure } from '../sql/sql-session.ts';
import { scramVerifier } from './scram.ts';

const schema = z.extend(credentialSchema(['postgres', 'aurora-postgresql'], 5432), {
  username: text(63),
  dbname: z._default(text(63), 'postgres'),
});

const classify = sqlFailure({ authentication: ['28P01', '28000'], permission: ['42501'], unknownDatabase: ['3D000'] });

class PostgresSession extends SqlSession {
  constructor(
    private readonly client: PgClient,
    transport: SqlSession['transport'],
    credential: Credential,
    where: string,
    failure: SqlFailure,
  ) {
    super(transport, credential, where, failure);
  }

  protected async query(sql: string, params: unknown[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.query(sql, params);
      } catch (err) {
        // Deliveries of one step altering the same role at once: PostgreSQL refuses all but one
        // catalog update. Each sets the same value, so running it again settles it.
        if ((err as Error).message !== 'tuple concurrently updated' || attempt === 5) throw err;
        await sleep(10 + Math.random() * 40);
      }
    }
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
    const role = this.client.escapeIdentifier(target);
    if (!(await this.roleExists(target))) {
      const literal = this.password(password);
      try {
        await this.run(`CREATE ROLE ${role} WITH LOGIN PASSWORD ${literal} IN ROLE ${this.client.escapeIdentifier(source)}`, [], [literal, password]);
        return;
      } catch (err) {
        // A delivery of the same step running at the same time created it first: set it as below.
        if (!(await this.roleExists(target))) throw err;
      }
    }
    await this.setPassword(role, password, 'LOGIN ');
    await this.run(`GRANT ${this.client.escapeIdentifier(source)} TO ${role}`);
  }

  private async roleExists(name: string): Promise<boolean> {
    return (await this.run<{ rows: unknown[] }>('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rows.length > 0;
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
    const { value, transport } = await connectSql({
      credential: c,
      where,
      classify,
      open: async (tls) => {
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
      tlsRefused: (err) => (err as Error)?.message === 'The server does not support SSL connections',
    });
    return new PostgresSession(value, transport, c, where, classify);
  },
};
