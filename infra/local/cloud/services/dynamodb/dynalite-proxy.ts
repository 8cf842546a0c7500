import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';

/**
 * DynamoDB, served by dynalite (pure Node, LevelDB on disk) on a private loopback port; the local
 * cloud forwards `DynamoDB_20120810.*` requests to it so every service shares one endpoint.
 */
export class DynamoDbBackend {
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly stateDir: string) {}

  async start(): Promise<void> {
    this.server = dynalite({ path: join(this.stateDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // dynalite closes its LevelDB only through the server's close handler; give it a moment to finish.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  forward(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const forwarded: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(headers)) if (value !== undefined && name !== 'host') forwarded[name] = value;
      const req = request(
        { host: '127.0.0.1', port: this.port, method: 'POST', path: '/', headers: { ...forwarded, 'content-length': String(body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const out: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') out[name] = value;
            resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
