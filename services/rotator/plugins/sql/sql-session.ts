import type { RotationError } from '../../../../shared/errors/rotation-error.ts';
import { connectWithTlsPolicy } from '../../connection/tls-policy.ts';
import { errorCodes, failure, networkFailure, serviceError } from '../../connection/failure.ts';
import type { Credential, Session, Transport } from '../../types.ts';

/** What a SQL server's error codes mean for a rotation; each plugin lists its own. */
export interface SqlErrorCodes {
  authentication: readonly string[];
  permission: readonly string[];
  unknownDatabase: readonly string[];
  /** Statements the server did not understand, and which servers the plugin supports. */
  invalidStatement?: { codes: readonly string[]; supported: string };
}

/**
 * Turns a driver error into its cause: network first (unreachable, timeout, untrusted TLS), then
 * the server's codes, then the driver's message with every password the statement carried cut out.
 */
export function sqlFailure(codes: SqlErrorCodes) {
  return (err: unknown, where: string, credential: Credential, secrets: string[] = []): RotationError => {
    const network = networkFailure(err, where);
    if (network) return network;
    const found = errorCodes(err);
    const has = (list: readonly string[] = []) => list.some((c) => found.includes(c));
    if (has(codes.authentication)) return failure('AuthenticationFailed', where, `authentication failed for user "${credential.username}"`);
    if (has(codes.permission)) return failure('PermissionDenied', where, `permission denied for user "${credential.username}"`);
    if (has(codes.unknownDatabase)) return failure('ServiceError', where, 'the database named by "dbname" does not exist');
    if (codes.invalidStatement && has(codes.invalidStatement.codes)) {
      return failure('ServiceError', where, `the server rejected a statement as invalid SQL (is this server a ${codes.invalidStatement.supported}?)`);
    }
    return serviceError(err, where, [credential.password, ...secrets]);
  };
}

export type SqlFailure = ReturnType<typeof sqlFailure>;

/** A logged-in SQL connection: every statement's failure becomes its cause, and `check` is `SELECT 1`. */
export abstract class SqlSession implements Session {
  constructor(
    readonly transport: Transport,
    protected readonly credential: Credential,
    protected readonly where: string,
    private readonly classify: SqlFailure,
  ) {}

  protected abstract query(sql: string, params: unknown[]): Promise<unknown>;
  abstract close(): Promise<void>;
  abstract changeOwnPassword(newPassword: string): Promise<void>;

  /** `secrets`: the passwords (or verifiers) the statement carries, cut out of any error that quotes it. */
  protected async run<T>(sql: string, params: unknown[] = [], secrets: string[] = []): Promise<T> {
    try {
      return (await this.query(sql, params)) as T;
    } catch (err) {
      throw this.classify(err, this.where, this.credential, secrets);
    }
  }

  async check(): Promise<void> {
    await this.run('SELECT 1');
  }
}

/** Connects under the secret's `ssl` policy; a failure to connect becomes its cause. */
export async function connectSql<T>(options: {
  credential: Credential;
  where: string;
  classify: SqlFailure;
  open: (tls: boolean) => Promise<T>;
  tlsRefused: (err: unknown) => boolean;
}): Promise<{ value: T; transport: Transport }> {
  try {
    return await connectWithTlsPolicy(options.credential.ssl, options.where, options.open, options.tlsRefused);
  } catch (err) {
    throw options.classify(err, options.where, options.credential);
  }
}
