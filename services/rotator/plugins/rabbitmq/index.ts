import { isIP } from 'node:net';
import * as z from 'zod/mini';
import { RotationError } from '../../../../shared/errors/rotation-error.ts';
import { connectWithTlsPolicy } from '../../connection/tls-policy.ts';
import { endpoint, errorCodes, failure, networkFailure, serviceError } from '../../connection/failure.ts';
import { httpJson } from '../../connection/http-json.ts';
import type { Credential, ServicePlugin, Session } from '../../types.ts';
import { credentialSchema, port, text } from '../credential-schema.ts';

/** `port` is the management API's (15672); applications log in over AMQP on `amqpPort`. */
const schema = z.extend(credentialSchema(['rabbitmq'], 15672), {
  amqpPort: port(5672),
  vhost: z._default(text(255), '/'),
});
type RabbitCredential = z.infer<typeof schema>;

/**
 * Only a plaintext HTTP answer to the ClientHello ("wrong version number") means the server offers
 * no TLS; a reset during the handshake is a network failure, never a reason to send Basic auth in clear.
 */
const tlsRefused = (err: unknown) =>
  errorCodes(err).includes('ERR_SSL_WRONG_VERSION_NUMBER') ||
  /wrong version number/i.test(String((err as Error)?.message) + String(((err as Error)?.cause as Error)?.message));

function classifyAmqp(err: unknown, where: string, credential: Credential): RotationError {
  const network = networkFailure(err, where);
  if (network) return network;
  const message = (err as Error)?.message ?? '';
  if (/ACCESS[-_]REFUSED|403/.test(message)) return failure('AuthenticationFailed', where, `AMQP login refused for user "${credential.username}"`);
  if (/NOT[-_]ALLOWED|530/.test(message)) return failure('PermissionDenied', where, `user "${credential.username}" may not use the virtual host`);
  return serviceError(err, where, [credential.password]);
}

class RabbitSession implements Session {
  constructor(
    private readonly credential: RabbitCredential,
    private readonly baseUrl: string,
    readonly transport: Session['transport'],
    private readonly timeoutMs: number,
    private readonly where: string,
  ) {}

  private call<T>(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const { username, password } = this.credential;
    return httpJson<T>({ baseUrl: this.baseUrl, method, path, username, password, body, timeoutMs: this.timeoutMs, where: this.where });
  }

  /** What applications do: log in over AMQP and open a channel. */
  async check(): Promise<void> {
    const amqp = await import('amqplib');
    const c = this.credential;
    const tls = this.transport === 'verified-tls';
    const where = `rabbitmq amqp ${endpoint(c.host, c.amqpPort)}`;
    let connection: Awaited<ReturnType<typeof amqp.connect>> | undefined;
    try {
      connection = await amqp.connect(
        { protocol: tls ? 'amqps' : 'amqp', hostname: c.host, port: c.amqpPort, username: c.username, password: c.password, vhost: c.vhost },
        { timeout: this.timeoutMs, servername: isIP(c.host) ? undefined : c.host },
      );
      connection.on('error', () => undefined);
      const channel = await connection.createChannel();
      await channel.close();
    } catch (err) {
      throw classifyAmqp(err, where, c);
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {}

  private async tagsOf(username: string): Promise<string> {
    const user = await this.call<{ tags: string[] | string }>('GET', `api/users/${encodeURIComponent(username)}`);
    return Array.isArray(user.tags) ? user.tags.join(',') : user.tags;
  }

  /** The management API changes a user only for administrators, so single-user needs an administrator-tagged user. */
  async changeOwnPassword(newPassword: string): Promise<void> {
    const me = await this.call<{ name: string; tags: string[] | string }>('GET', 'api/whoami');
    const tags = Array.isArray(me.tags) ? me.tags.join(',') : me.tags;
    await this.call('PUT', `api/users/${encodeURIComponent(me.name)}`, { password: newPassword, tags });
  }

  async setUserPassword(username: string, password: string): Promise<void> {
    await this.call('PUT', `api/users/${encodeURIComponent(username)}`, { password, tags: await this.tagsOf(username) });
  }

  /** Same tags, same per-vhost and topic permissions as the original user, and nothing the original no longer has. */
  async cloneUser(source: string, target: string, password: string): Promise<void> {
    const src = encodeURIComponent(source);
    const dst = encodeURIComponent(target);
    await this.call('PUT', `api/users/${dst}`, { password, tags: await this.tagsOf(source) });
    type Permission = { vhost: string; configure: string; write: string; read: string };
    type TopicPermission = { vhost: string; exchange: string; write: string; read: string };
    const permissions = await this.call<Permission[]>('GET', `api/users/${src}/permissions`);
    const held = await this.call<Permission[]>('GET', `api/users/${dst}/permissions`);
    for (const stale of held.filter((h) => !permissions.some((p) => p.vhost === h.vhost))) {
      await this.call('DELETE', `api/permissions/${encodeURIComponent(stale.vhost)}/${dst}`);
    }
    for (const p of permissions) {
      await this.call('PUT', `api/permissions/${encodeURIComponent(p.vhost)}/${dst}`, { configure: p.configure, write: p.write, read: p.read });
    }
    const topics = await this.call<TopicPermission[]>('GET', `api/users/${src}/topic-permissions`);
    const heldTopics = await this.call<TopicPermission[]>('GET', `api/users/${dst}/topic-permissions`);
    for (const vhost of new Set(heldTopics.map((t) => t.vhost))) {
      await this.call('DELETE', `api/topic-permissions/${encodeURIComponent(vhost)}/${dst}`);
    }
    for (const t of topics) {
      await this.call('PUT', `api/topic-permissions/${encodeURIComponent(t.vhost)}/${dst}`, { exchange: t.exchange, write: t.write, read: t.read });
    }
  }
}

export const rabbitmqPlugin: ServicePlugin = {
  name: 'rabbitmq',
  engines: ['rabbitmq'],
  schema,
  // AMQP URIs carry the password: nothing that URL syntax or the management API's JSON would trip on.
  passwordPolicy: { length: 32, excludeCharacters: ' /@"\'\\:?#[]%&+=,;' },
  strategies: ['single-user', 'alternating-users'],
  async connect(credential, { timeoutMs }) {
    const c = schema.parse(credential);
    const where = `rabbitmq management ${endpoint(c.host, c.port)}`;
    const { value: baseUrl, transport } = await connectWithTlsPolicy(
      c.ssl,
      where,
      async (tls) => {
        const base = `${tls ? 'https' : 'http'}://${c.host}:${c.port}/`;
        try {
          await fetch(base, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
        } catch (err) {
          if (tls && tlsRefused((err as Error).cause ?? err)) throw (err as Error).cause ?? err;
          const failed = networkFailure((err as Error).cause ?? err, where);
          // RabbitMQ ships its management API disabled: a refused connection usually means just that.
          if (failed?.errorClass === 'HostUnreachable' && errorCodes((err as Error).cause ?? err).includes('ECONNREFUSED')) {
            throw new RotationError('HostUnreachable', `${failed.message}: RabbitMQ is rotated through its management API; enable it on the server (rabbitmq-plugins enable rabbitmq_management) or set "port" to where it listens`);
          }
          throw failed ?? err;
        }
        return base;
      },
      tlsRefused,
    );
    const session = new RabbitSession(c, baseUrl, transport, timeoutMs, where);
    // Logging in to the management API proves the credential before any change.
    await httpJson({ baseUrl, method: 'GET', path: 'api/whoami', username: c.username, password: c.password, timeoutMs, where });
    return session;
  },
};
