import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A service implementing the fleet rotator's HTTP contract (README, "The http service contract"),
 * as a service owner would: users with passwords, admins who may set anyone's.
 */
export class CredentialService {
  readonly users = new Map<string, { password: string; admin: boolean; cloneOf?: string }>();
  private server: Server | undefined;
  url = '';

  private authenticate(header: string | undefined): string | undefined {
    if (!header?.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [name, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    return this.users.get(name)?.password === password ? name : undefined;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const caller = this.authenticate(req.headers.authorization);
        if (!caller) return void res.writeHead(401).end();
        const url = new URL(req.url ?? '/', 'http://x');
        if (req.method === 'GET' && url.pathname === '/api/credentials/verify') return void res.writeHead(204).end();
        const match = /^\/api\/credentials\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'PUT' && match) {
          const target = decodeURIComponent(match[1]!);
          if (target !== caller && !this.users.get(caller)!.admin) return void res.writeHead(403).end();
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { password: string; cloneOf?: string };
          const existing = this.users.get(target);
          this.users.set(target, { password: body.password, admin: existing?.admin ?? false, cloneOf: body.cloneOf ?? existing?.cloneOf });
          return void res.writeHead(204).end();
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
