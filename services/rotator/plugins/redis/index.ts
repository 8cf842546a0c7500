import { connect, isIP } from 'node:net';
import { RotationError } from '../../../../shared/errors/rotation-error.ts';
import { connectWithTlsPolicy } from '../../connection/tls-policy.ts';
import { endpoint, failure, networkFailure, serviceError } from '../../connection/failure.ts';
import type { Credential, ServicePlugin, Session } from '../../types.ts';
import { credentialSchema } from '../credential-schema.ts';

const schema = credentialSchema(['redis'], 6379);

interface RedisLike {
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
}

function classify(err: unknown, where: string, credential: Credential, secrets: string[] = []): RotationError {
  const network = networkFailure(err, where);
  if (network) return network;
  const message = (err as Error)?.message ?? '';
  if (/^WRONGPASS/.test(message)) return failure('AuthenticationFailed', where, `authentication failed for user "${credential.username}"`);
  if (/^NOPERM/.test(message)) return failure('PermissionDenied', where, `user "${credential.username}" lacks the permission for this ACL command`);
  // Redis quotes a rejected ACL modifier back, so every password the command carried is cut out.
  return serviceError(err, where, [credential.password, ...secrets]);
}

/**
 * The client class with its command methods built once per container: `createClient` rebuilds it
 * for every distinct option set (~20 ms of CPU each), and each credential is a distinct option set.
 */
let makeClient: ReturnType<(typeof import('@redis/client'))['RedisClient']['factory']> | undefined;

class TlsNotOffered extends Error {}
const tlsRefused = (err: unknown) => err instanceof TlsNotOffered;

/**
 * Redis has no TLS negotiation and a plaintext server just waits on a TLS ClientHello, so ask
 * first, without credentials: a server that answers a plaintext PING does not speak TLS there.
 */
function answersPlaintext(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(Math.min(timeoutMs, 2000), () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data: Buffer) => done(data[0] === 0x2b /* + */ || data[0] === 0x2d /* - */));
  });
}

class RedisSession implements Session {
  constructor(
    private readonly client: RedisLike,
    readonly transport: Session['transport'],
    private readonly credential: Credential,
    private readonly where: string,
    private readonly timeoutMs: number,
  ) {}

  /** One command, failed (and the connection dropped) if the server does not answer in time. */
  private async run(args: string[], secrets: string[] = []): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.client.destroy();
        reject(new RotationError('ConnectionTimeout', `${this.where}: no answer within the connection timeout`));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([this.client.sendCommand(args), timeout]);
    } catch (err) {
      throw classify(err, this.where, this.credential, secrets);
    } finally {
      clearTimeout(timer);
    }
  }

  async check(): Promise<void> {
    await this.run(['PING']);
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => this.client.destroy());
  }

  // Each rule is its own argument, so no password or user name can inject another ACL rule.
  async changeOwnPassword(newPassword: string): Promise<void> {
    await this.run(['ACL', 'SETUSER', this.credential.username, 'resetpass', `>${newPassword}`], [newPassword]);
  }

  async setUserPassword(username: string, password: string): Promise<void> {
    await this.run(['ACL', 'SETUSER', username, 'resetpass', `>${password}`], [password]);
  }

  async setUserPasswords(username: string, passwords: string[]): Promise<void> {
    await this.run(['ACL', 'SETUSER', username, 'resetpass', ...passwords.map((p) => `>${p}`)], passwords);
  }

  /** Copies the original user's rules (state, keys, channels, commands) to the clone, with the clone's own password. */
  async cloneUser(source: string, target: string, password: string): Promise<void> {
    const list = (await this.run(['ACL', 'LIST'])) as string[];
    const line = list.find((l) => l.startsWith(`user ${source} `));
    if (!line) throw failure('ServiceError', this.where, `ACL user "${source}" does not exist`);
    const rules = line
      .split(' ')
      .slice(2)
      .filter((rule) => !/^[#<>!]/.test(rule) && rule !== 'nopass');
    // Clear what the clone had without `reset`, which would add flags the original does not have.
    await this.run(['ACL', 'SETUSER', target, 'resetkeys', 'resetchannels', 'nocommands', 'clearselectors', 'resetpass', ...rules, `>${password}`], [password]);
  }
}

export const redisPlugin: ServicePlugin = {
  name: 'redis',
  engines: ['redis'],
  schema,
  // ACL rules are whitespace-separated in ACL files: no spaces; quotes and backslashes break redis-cli and URLs.
  passwordPolicy: { length: 32, excludeCharacters: ' /@"\'\\:?#[]%' },
  strategies: ['single-user', 'alternating-users', 'dual-password'],
  async connect(credential, { timeoutMs }) {
    const create = (makeClient ??= (await import('@redis/client')).RedisClient.factory({}));
    const c = schema.parse(credential);
    const where = `redis ${endpoint(c.host, c.port)}`;
    try {
      const { value, transport } = await connectWithTlsPolicy(
        c.ssl,
        where,
        async (tls) => {
          if (tls && (await answersPlaintext(c.host, c.port, timeoutMs))) throw new TlsNotOffered();
          const client = create({
            username: c.username,
            password: c.password,
            socket: tls
              ? { host: c.host, port: c.port, connectTimeout: timeoutMs, tls: true, servername: isIP(c.host) ? undefined : c.host, rejectUnauthorized: true, reconnectStrategy: false }
              : { host: c.host, port: c.port, connectTimeout: timeoutMs, reconnectStrategy: false },
            commandOptions: undefined,
          });
          client.on('error', () => undefined);
          try {
            await client.connect();
          } catch (err) {
            client.destroy();
            throw err;
          }
          return client as unknown as RedisLike;
        },
        tlsRefused,
      );
      return new RedisSession(value, transport, c, where, timeoutMs);
    } catch (err) {
      throw classify(err, where, c);
    }
  },
};
