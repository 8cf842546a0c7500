import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admin } from './aws-clients.ts';

export interface TestFunction {
  name: string;
  arn: string;
  url: string;
  close(): Promise<void>;
}

/** The environment Lambda gives a function (its credentials among it). */
export type FunctionEnv = Record<string, string>;

/**
 * A Lambda function whose code runs in the test process: the local cloud POSTs each invocation's
 * event here (with the function's environment, credentials included) and takes the JSON answer
 * (or, for a thrown error, `{errorType, errorMessage}`).
 */
export async function serveTestFunction(
  cloudUrl: string,
  name: string,
  handler: (event: unknown, env: FunctionEnv) => Promise<unknown>,
  options: { account?: string; region?: string; role?: string; timeoutSeconds?: number } = {},
): Promise<TestFunction> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      const header = req.headers['x-local-cloud-function-env'];
      const env = typeof header === 'string' ? (JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as FunctionEnv) : {};
      handler(event, env).then(
        (result) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result ?? null));
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errorType: err.name, errorMessage: err.message }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const registered = await admin<{ arn: string }>(cloudUrl, '/_local/functions', { body: { name, url, timeoutSeconds: options.timeoutSeconds ?? 10, ...options } });
  return {
    name,
    arn: registered.arn,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
