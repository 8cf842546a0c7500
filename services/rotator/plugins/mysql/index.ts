import type { Connection } from 'mysql2/promise';
import * as z from 'zod/mini';
import { endpoint, errorCodes, failure } from '../../connection/failure.ts';
import type { Credential, ServicePlugin } from '../../types.ts';
import { credentialSchema, text } from '../credential-schema.ts';
import { connectSql, sqlFailure, SqlSession } from '../sql/sql-session.ts';

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
export const classify = sqlFailure({
  authentication: ['ER_ACCESS_DENIED_ERROR', '1045'],
  permission: ['ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_PASSWORD_NOT_ALLOWED', '1227', '1044', '1142'],
  unknownDatabase: ['ER_BAD_DB_ERROR'],
  invalidStatement: { codes: ['ER_PARSE_ERROR', '1064'], supported: 'MySQL 5.7+ or MariaDB 10.2+' },
});

const quoteName = (name: string) => `\`${name.replaceAll('`', '``')}\``;

class MysqlSession extends SqlSession {
  constructor(
    private readonly connection: Connection,
    transport: SqlSession['transport'],
    credential: Credential,
    where: string,
    private readonly mariadb: boolean,
    private readonly timeoutMs: number,
  ) {
    super(transport, credential, where, classify);
  }

  /** query() escapes every `?` value on the client: user names and passwords are never spliced in raw. */
  protected async query(sql: string, params: unknown[]) {
    const [rows] = await this.connection.query({ sql, timeout: this.timeoutMs }, params);
    return rows;
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
    const { value, transport } = await connectSql({
      credential: c,
      where,
      classify,
      open: (tls) =>
        mysql.createConnection({ host: c.host, port: c.port, user: c.username, password: c.password, database: c.dbname, connectTimeout: timeoutMs, ssl: tls ? { rejectUnauthorized: true } : undefined }),
      tlsRefused: (err) => errorCodes(err).includes('HANDSHAKE_NO_SSL_SUPPORT') || /does not support secure connection/i.test((err as Error)?.message ?? ''),
    });
    let version: string;
    try {
      const [rows] = await value.query({ sql: 'SELECT VERSION() AS v', timeout: timeoutMs });
      version = String((rows as Array<{ v: string }>)[0]?.v ?? '');
    } catch (err) {
      value.destroy();
      throw classify(err, where, c);
    }
    return new MysqlSession(value, transport, c, where, version.includes('MariaDB'), timeoutMs);
  },
};
