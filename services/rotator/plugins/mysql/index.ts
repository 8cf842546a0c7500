import type { Connection } from 'mysql2/promise';
import * as z from 'zod/mini';
import { RotationError } from '../../../../shared/errors/rotation-error.ts';
import { connectWithTlsPolicy } from '../../connection/tls-policy.ts';
import { endpoint, errorCodes, failure, networkFailure, serviceError } from '../../connection/failure.ts';
import type { Credential, ServicePlugin, Session } from '../../types.ts';
import { credentialSchema, text } from '../credential-schema.ts';

const ENGINES = ['mysql', 'mariadb', 'aurora-mysql', 'aurora'] as const;
const schema = z.extend(credentialSchema(ENGINES, 3306), {
  // MySQL 5.7 limits user names to 32 characters; the alternate user adds "_clone".
  username: text(26),
  dbname: z.optional(text(64)),
});

/**
 * `secrets` are every password the failed statement carried: the server quotes statements back
 * (a syntax error repeats the rest of it), and mysql2 has already filled in the `?` values.
 */
export function classify(err: unknown, where: string, credential: Credential, secrets: string[] = []): RotationError {
  const network = networkFailure(err, where);
  if (network) return network;
  const codes = errorCodes(err);
  if (codes.includes('ER_ACCESS_DENIED_ERROR') || codes.includes('1045')) return failure('AuthenticationFailed', where, `authentication failed for user "${credential.username}"`);
  if (['ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_PASSWORD_NOT_ALLOWED', '1227', '1044', '1142'].some((c) => codes.includes(c))) {
    return failure('PermissionDenied', where, `permission denied for user "${credential.username}"`);
  }
  if (codes.includes('ER_BAD_DB_ERROR')) return failure('ServiceError', where, 'the database named by "dbname" does not exist');
  if (codes.includes('ER_PARSE_ERROR') || codes.includes('1064')) return failure('ServiceError', where, 'the server rejected a statement as invalid SQL (is this server a MySQL 5.7+ or MariaDB 10.2+?)');
  return serviceError(err, where, [credential.password, ...secrets]);
}

const quoteName = (name: string) => `\`${name.replaceAll('`', '``')}\``;

class MysqlSession implements Session {
  constructor(
    private readonly connection: Connection,
    readonly transport: Session['transport'],
    private readonly credential: Credential,
    private readonly where: string,
    private readonly mariadb: boolean,
    private readonly timeoutMs: number,
  ) {}

  /** `secrets`: the passwords among `params`, cut out of any error the server reports. */
  private async run<T = unknown>(sql: string, params: unknown[] = [], secrets: string[] = []): Promise<T> {
    try {
      // query() escapes every `?` value on the client: user names and passwords are never spliced in raw.
      const [rows] = await this.connection.query({ sql, timeout: this.timeoutMs }, params);
      return rows as T;
    } catch (err) {
      throw classify(err, this.where, this.credential, secrets);
    }
  }

  async check(): Promise<void> {
    await this.run('SELECT 1');
  }

  async close(): Promise<void> {
    await this.connection.end().catch(() => this.connection.destroy());
  }

  async changeOwnPassword(newPassword: string): Promise<void> {
    // Changing one's own password needs no privilege this way, in either server.
    if (this.mariadb) await this.run('SET PASSWORD = PASSWORD(?)', [newPassword], [newPassword]);
    else await this.run('ALTER USER USER() IDENTIFIED BY ?', [newPassword], [newPassword]);
  }

  private async hosts(username: string): Promise<string[]> {
    const rows = await this.run<Array<{ Host: string }>>('SELECT Host FROM mysql.user WHERE User = ?', [username]);
    return rows.map((r) => r.Host);
  }

  async setUserPassword(username: string, password: string): Promise<void> {
    const hosts = await this.hosts(username);
    if (hosts.length === 0) throw failure('ServiceError', this.where, `user "${username}" does not exist`);
    for (const host of hosts) await this.run('ALTER USER ?@? IDENTIFIED BY ?', [username, host, password], [password]);
  }

  /**
   * Creates (or updates) the clone for every host the original user has, takes away whatever the
   * clone held, and replays the original's grants onto it: a privilege revoked from the original
   * must not survive on its clone.
   */
  async cloneUser(source: string, target: string, password: string): Promise<void> {
    const hosts = await this.hosts(source);
    if (hosts.length === 0) throw failure('ServiceError', this.where, `user "${source}" does not exist`);
    for (const host of hosts) {
      await this.run('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [target, host, password], [password]);
      await this.run('ALTER USER ?@? IDENTIFIED BY ?', [target, host, password], [password]);
      await this.run('REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?', [target, host]);
      const grants = await this.run<Array<Record<string, string>>>('SHOW GRANTS FOR ?@?', [source, host]);
      const from = `${quoteName(source)}@${quoteName(host)}`;
      const to = `${quoteName(target)}@${quoteName(host)}`;
      for (const row of grants) {
        const grant = Object.values(row)[0]!;
        if (!grant.includes(from)) continue;
        // SHOW GRANTS quotes the grantee exactly like `from`; the password hash clause is not copied.
        // A function replacement: `$&`-style patterns in a user name must not expand.
        await this.run(grant.replace(from, () => to).replace(/ IDENTIFIED (BY PASSWORD|VIA|WITH) .*?(?= WITH | REQUIRE |$)/, ''));
      }
    }
  }
}

export const mysqlPlugin: ServicePlugin = {
  name: 'mysql',
  engines: ENGINES,
  schema,
  passwordPolicy: { length: 32, excludeCharacters: '/@"\'\\:?#[]%' },
  strategies: ['single-user', 'alternating-users'],
  async connect(credential, { timeoutMs }) {
    const mysql = await import('mysql2/promise');
    const c = schema.parse(credential);
    const where = `${c.engine} ${endpoint(c.host, c.port)}`;
    try {
      const { value, transport } = await connectWithTlsPolicy(
        c.ssl,
        where,
        (tls) =>
          mysql.createConnection({
            host: c.host,
            port: c.port,
            user: c.username,
            password: c.password,
            database: c.dbname,
            connectTimeout: timeoutMs,
            ssl: tls ? { rejectUnauthorized: true } : undefined,
          }),
        (err) => errorCodes(err).includes('HANDSHAKE_NO_SSL_SUPPORT') || /does not support secure connection/i.test((err as Error)?.message ?? ''),
      );
      let version: string;
      try {
        const [rows] = await value.query({ sql: 'SELECT VERSION() AS v', timeout: timeoutMs });
        version = String((rows as Array<{ v: string }>)[0]?.v ?? '');
      } catch (err) {
        value.destroy();
        throw err;
      }
      return new MysqlSession(value, transport, c, where, version.includes('MariaDB'), timeoutMs);
    } catch (err) {
      throw classify(err, where, c);
    }
  },
};
