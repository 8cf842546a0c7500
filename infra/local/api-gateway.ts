import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadContract, problemResponse } from '../../services/api/app.ts';
import { bearerCaller } from '../../services/api/auth.ts';
import { problem } from '../../services/api/problem.ts';
import type { LocalCloud } from './cloud/server.ts';
import type { MetricsRecorder } from './metrics-recorder.ts';

const MAX_BODY = 1024 * 1024;

/**
 * The IAM identity a local bearer token stands for: API Gateway hands the API function the caller's
 * verified ARN, and the function maps ARNs to teams (RCP_TEAM_PRINCIPALS), exactly as on AWS.
 */
export const localIdentity = (account: string, team: string) => `arn:aws:sts::${account}:assumed-role/rcp-local-team-${team}/bearer-token`;

/** The RCP_TEAM_PRINCIPALS the local API function gets: each token's team from its local identity. */
export function localTeamPrincipals(account: string, teams: Iterable<string>): Record<string, string> {
  return Object.fromEntries([...new Set(teams)].map((team) => [`arn:aws:sts::${account}:assumed-role/rcp-local-team-${team}/*`, team]));
}

/** Operations the contract leaves open (`security: []`), as path patterns: API Gateway lets them through unsigned. */
function openPaths(): RegExp[] {
  const contract = loadContract() as unknown as { paths: Record<string, Record<string, { security?: unknown[] }>> };
  return Object.entries(contract.paths)
    .filter(([, item]) => Object.values(item).some((op) => Array.isArray(op?.security) && op.security.length === 0))
    .map(([template]) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`));
}

function send(res: ServerResponse, status: number, headers: Record<string, string | number | boolean | undefined>, body: string): void {
  res.writeHead(status, Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))).end(body);
}

/** A problem+json answer written straight to a socket, for requests the HTTP parser refused before any handler ran. */
function refuseOnSocket(socket: Socket, status: number, slug: string, detail: string): void {
  const { body, headers } = problemResponse(problem(status, slug, detail));
  const head = [`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`, ...Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}`)];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

export interface ApiGatewayOptions {
  cloud: LocalCloud;
  /** The API function the stacks define (services/api/handler.ts), registered in the local cloud. */
  functionArn: string;
  /** Bearer token -> team. */
  tokens: Map<string, string>;
  port: number;
  host?: string;
  metrics?: MetricsRecorder;
  /** Other routes the embedded default serves at this address (the console's files), tried after the API's. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

/**
 * API Gateway for the embedded default: a bearer token becomes the caller's identity, and each
 * request is proxied as API Gateway's Lambda proxy event to the API function, which runs with its
 * own role (IAM applies) and the same code as on AWS.
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const { cloud } = options;
  const open = openPaths();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        const refused = problemResponse(problem(413, 'payload-too-large', 'the body is larger than 1 MiB'));
        send(res, 413, { ...refused.headers, connection: 'close' }, refused.body);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      handle(req, res, chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined).catch(() => {
        if (!res.headersSent) send(res, 502, { 'content-type': 'application/problem+json' }, problemResponse(problem(502, 'gateway-error', 'the API function failed to answer; it is logged')).body);
      });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, body: string | undefined): Promise<void> {
    const raw = req.url ?? '/';
    const queryAt = raw.indexOf('?');
    const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
    if (path === '/_local/metrics' && options.metrics) return send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(options.metrics.snapshot()));
    if (!path.startsWith('/v1/') && options.fallback && (await options.fallback(req, res))) return;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])) as Record<string, string | undefined>;
    let userArn: string | null = null;
    if (!open.some((pattern) => pattern.test(path))) {
      try {
        userArn = localIdentity(cloud.account, bearerCaller(options.tokens, headers.authorization).team);
      } catch (err) {
        const refused = problemResponse(err as never);
        return send(res, refused.statusCode, refused.headers, refused.body);
      }
    }
    const query = new URLSearchParams(queryAt < 0 ? '' : raw.slice(queryAt + 1));
    const event = {
      resource: path,
      path,
      httpMethod: req.method ?? 'GET',
      headers,
      multiValueHeaders: {},
      queryStringParameters: queryAt < 0 ? null : Object.fromEntries(query),
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: body ?? null,
      isBase64Encoded: false,
      requestContext: { identity: { userArn }, requestId: crypto.randomUUID(), stage: 'v1' },
    } as unknown as APIGatewayProxyEvent;
    const result = await cloud.lambda.invoke(options.functionArn, event, cloud);
    if (result.functionError) throw new Error('the API function failed');
    const answer = result.payload as APIGatewayProxyResult;
    send(res, answer.statusCode, { ...(answer.headers ?? {}) }, answer.body);
  }

  // What Node's HTTP parser refuses (oversized headers, malformed requests) still gets a problem+json body.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    if (err.code === 'HPE_HEADER_OVERFLOW') refuseOnSocket(socket, 431, 'headers-too-large', 'the request line and headers are larger than 16 KiB: shorten the URL (a secret id is at most 2048 characters)');
    else refuseOnSocket(socket, 400, 'malformed-http', 'the request is not valid HTTP/1.1');
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
