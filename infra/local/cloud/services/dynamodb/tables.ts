import type { IncomingHttpHeaders, Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import type { Scope } from '../../scopes.ts';

/**
 * The DynamoDB tables of one account-region, served by a dynalite (pure Node, LevelDB on disk
 * under `<account-region>/dynamodb`) of their own on a private loopback port, started at the
 * first call: account-regions that never use DynamoDB cost nothing.
 */
export class DynamoTables {
  private server: Server | undefined;
  private starting: Promise<number> | undefined;

  constructor(private readonly scope: Scope) {}

  static of(scope: Scope): DynamoTables {
    return scope.service('dynamodb', (s) => new DynamoTables(s));
  }

  private port(): Promise<number> {
    this.starting ??= this.start().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async start(): Promise<number> {
    // dynalite reads the account and region of its ARNs from the environment when it is created
    // (synchronously): set them for that moment only.
    const saved = { account: process.env.AWS_ACCOUNT_ID, region: process.env.AWS_REGION };
    process.env.AWS_ACCOUNT_ID = this.scope.account;
    process.env.AWS_REGION = this.scope.region;
    let server: Server;
    try {
      server = dynalite({ path: join(this.scope.dir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    } finally {
      restore('AWS_ACCOUNT_ID', saved.account);
      restore('AWS_REGION', saved.region);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const starting = this.starting;
    if (!starting) return;
    await starting.catch(() => undefined);
    const server = this.server;
    this.server = undefined;
    this.starting = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // dynalite closes its LevelDB only through the server's close handler; give it a moment to finish.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  async forward(headers: IncomingHttpHeaders, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const port = await this.port();
    return new Promise((resolve, reject) => {
      const forwarded: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(headers)) if (value !== undefined && name !== 'host') forwarded[name] = value;
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { ...forwarded, 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') out[name] = value;
          resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
