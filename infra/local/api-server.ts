import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi, type ApiRequest } from '../../services/api/app.ts';
import { bearerCaller, parseTokens } from '../../services/api/auth.ts';
import { idempotentCreate } from '../../services/api/idempotent-create.ts';
import type { ApiDeps } from '../../services/api/onboarding-service.ts';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const MAX_BODY = 1024 * 1024;

/**
 * The REST API on a local port, in front of the same API code the Lambda runs: a request is
 * translated as API Gateway would, and callers authenticate with a bearer token from RCP_TOKENS.
 */
export async function startApiServer(deps: ApiDeps, dynamodb: DynamoDBClient, options: { port: number; host?: string; tokens: string }): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const tokens = parseTokens(options.tokens);
  const api = createApi(deps, {
    authenticate: (request) => bearerCaller(tokens, request.headers.authorization),
    createOnboarding: idempotentCreate(deps, dynamodb),
    log: (message, fields) => console.error(`[api] ${message} ${JSON.stringify(fields)}`),
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'about:blank', title: 'Payload too large', status: 413, detail: 'the body is larger than 1 MiB' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://local');
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])),
        body: chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined,
      };
      api(request).then(
        (response) => res.writeHead(response.statusCode, response.headers).end(response.body),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
