import * as z from 'zod/mini';
import { text } from '../credential-schema.ts';
import { RotationError } from '../../../../shared/errors/rotation-error.ts';
import { endpoint } from '../../connection/failure.ts';
import { httpJson } from '../../connection/http-json.ts';
import type { ServicePlugin, Session } from '../../types.ts';

/**
 * A service that is not a database: it implements the small contract in the README ("The http
 * service contract"): `GET {url}/credentials/verify` to check a credential and
 * `PUT {url}/credentials/{username}` to set one, both with HTTP Basic authentication.
 */
const schema = z.pipe(
  z.looseObject({
    engine: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }),
    username: text(128),
    password: text(4096),
    ssl: z.optional(z.boolean()),
    masterarn: z.optional(z.string().check(z.startsWith('arn:'))),
  }),
  // Host and port for the same-resource guards come from the url.
  z.transform((c) => {
    const url = new URL(c.url);
    return { ...c, host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  }),
);

class HttpSession implements Session {
  readonly transport: Session['transport'];
  private readonly where: string;

  constructor(
    private readonly credential: z.infer<typeof schema>,
    private readonly timeoutMs: number,
  ) {
    this.transport = credential.url.startsWith('https:') ? 'https' : 'http';
    this.where = `http service ${endpoint(credential.host, credential.port)}`;
  }

  private call(method: 'GET' | 'PUT', path: string, body?: unknown) {
    const { url, username, password } = this.credential;
    return httpJson({ baseUrl: url, method, path, username, password, body, timeoutMs: this.timeoutMs, where: this.where });
  }

  async check(): Promise<void> {
    await this.call('GET', 'credentials/verify');
  }

  async close(): Promise<void> {}

  async changeOwnPassword(newPassword: string): Promise<void> {
    await this.call('PUT', `credentials/${encodeURIComponent(this.credential.username)}`, { password: newPassword });
  }

  async setUserPassword(username: string, password: string): Promise<void> {
    await this.call('PUT', `credentials/${encodeURIComponent(username)}`, { password });
  }

  async cloneUser(source: string, target: string, password: string): Promise<void> {
    await this.call('PUT', `credentials/${encodeURIComponent(target)}`, { password, cloneOf: source });
  }
}

export const httpPlugin: ServicePlugin = {
  name: 'http',
  engines: ['http'],
  schema: schema as unknown as ServicePlugin['schema'],
  passwordPolicy: { length: 40, excludeCharacters: ' "\'\\:' },
  strategies: ['single-user', 'alternating-users'],
  async connect(credential, { timeoutMs }) {
    const c = schema.parse(credential);
    if (c.ssl === true && !c.url.startsWith('https:')) throw new RotationError('TlsRefused', `the secret requires TLS ("ssl": true) but its url is not https`);
    if (c.ssl === false && c.url.startsWith('https:')) throw new RotationError('InvalidSecret', 'the secret forbids TLS ("ssl": false) but its url is https');
    const session = new HttpSession(c, timeoutMs);
    return session;
  },
};
