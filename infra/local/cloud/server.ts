import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import { Clock } from './clock.ts';
import { emptyState, type CloudState, type ServiceContext } from './context.ts';
import { AwsError } from './errors.ts';
import { CallCounter, FaultInjector, type FaultConfig } from './faults.ts';
import { parseJsonBody, sendJson, sendJsonError } from './protocol/json-protocol.ts';
import { sendQueryError, sendXml } from './protocol/query-protocol.ts';
import { sendRestJson, sendRestJsonError } from './protocol/rest-json-protocol.ts';
import { StateFile } from './state-file.ts';
import { DynamoDbBackend } from './services/dynamodb/dynalite-proxy.ts';
import { EventStore } from './services/eventbridge/event-store.ts';
import { EventBridgeService } from './services/eventbridge/operations.ts';
import { lambdaOperations } from './services/lambda/api.ts';
import { LambdaFunctions, type BuiltinFunction } from './services/lambda/functions.ts';
import { READ_ONLY_OPERATIONS, SecretsManagerService } from './services/secretsmanager/operations.ts';
import { RotationEngine } from './services/secretsmanager/rotation-engine.ts';
import { callerIdentity, callerIdentityXml, STS_XMLNS } from './services/sts/operations.ts';
import { adminRoutes } from './admin.ts';

export const DEFAULT_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_PORT = 4566;
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface LocalCloudOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  stateDir?: string;
  region?: string;
  account?: string;
  /** Emulated milliseconds per real millisecond. */
  clockScale?: number;
  /** How often (real ms) the rotation scheduler looks for due rotations; 0 turns it off. */
  schedulerIntervalMs?: number;
  functions?: BuiltinFunction[];
  faults?: FaultConfig;
  /** Log one line per request (operation, status, time; never bodies). */
  logRequests?: boolean;
}

export interface LocalCloud {
  url: string;
  port: number;
  region: string;
  account: string;
  clock: Clock;
  functions: LambdaFunctions;
  rotations: RotationEngine;
  events: EventStore;
  faults: FaultInjector;
  calls: CallCounter;
  stop(): Promise<void>;
}

type JsonOperation = (input: unknown) => unknown;
interface JsonService {
  name: string;
  contentType: string;
  operations: Record<string, JsonOperation>;
  readOnly: Set<string>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AwsError('RequestEntityTooLargeException', `Request body is larger than ${MAX_BODY_BYTES} bytes.`, 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolvePromise(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function internalError(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  // Never echo arbitrary error text: it could quote request content. Log the class, answer generically.
  console.error(`[local-cloud] internal error: ${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`);
  return new AwsError('InternalServiceError', 'An error occurred on the server side.', 500);
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const region = options.region ?? DEFAULT_REGION;
  const account = options.account ?? DEFAULT_ACCOUNT;
  const stateDir = resolve(options.stateDir ?? '.local-cloud');

  let state: CloudState = emptyState();
  const clockHolder: { clock?: Clock } = {};
  const stateFile = new StateFile<CloudState>(join(stateDir, 'state.json'), () => ({ ...state, clockOffsetMs: clockHolder.clock!.offset }));
  const loaded = await stateFile.load();
  if (loaded) {
    if (loaded.version !== 1) throw new Error(`state in ${stateDir} has version ${String(loaded.version)}; this local cloud reads version 1`);
    state = { ...emptyState(), ...loaded };
  }
  const clock = new Clock(state.clockOffsetMs, options.clockScale ?? 1);
  clockHolder.clock = clock;

  const ctx: ServiceContext = {
    region,
    account,
    clock,
    get state() {
      return state;
    },
    save: () => stateFile.save(),
  };

  const events = new EventStore(join(stateDir, 'events'));
  const eventBridge = new EventBridgeService(ctx, events);
  eventBridge.ensureDefaultBus();
  await events.load(state.buses.map((b) => b.name).concat(['default']).filter((v, i, a) => a.indexOf(v) === i));
  const functions = new LambdaFunctions(ctx);
  for (const fn of options.functions ?? []) functions.registerBuiltin(fn);
  const rotations = new RotationEngine(ctx, functions, eventBridge);
  const secretsManager = new SecretsManagerService(ctx, rotations);
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  const calls = new CallCounter();
  const dynamo = new DynamoDbBackend(stateDir);
  await dynamo.start();
  await ctx.save();

  const jsonServices: Record<string, JsonService> = {
    secretsmanager: { name: 'secretsmanager', contentType: 'application/x-amz-json-1.1', operations: secretsManager.operations(), readOnly: READ_ONLY_OPERATIONS },
    AWSEvents: { name: 'events', contentType: 'application/x-amz-json-1.1', operations: eventBridge.operations(), readOnly: new Set(['ListEventBuses', 'DescribeEventBus']) },
    AWSSecurityTokenServiceV20110615: {
      name: 'sts',
      contentType: 'application/x-amz-json-1.0',
      operations: { GetCallerIdentity: () => callerIdentity(ctx) },
      readOnly: new Set(['GetCallerIdentity']),
    },
  };

  const lambdaApi = lambdaOperations(functions, ctx);
  type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>, query: URLSearchParams, body: Buffer) => Promise<void>;
  const router = FindMyWay<HTTPVersion.V1>();
  const lambdaRoute = (operation: string, run: (params: Record<string, string | undefined>, query: URLSearchParams, body: Buffer, req: IncomingMessage, res: ServerResponse) => Promise<void> | void): RouteHandler => {
    return async (req, res, params, query, body) => {
      try {
        calls.record('lambda', operation);
        await faults.before('lambda', operation);
        await run(params, query, body, req, res);
      } catch (err) {
        sendRestJsonError(res, internalError(err));
      }
    };
  };
  const lambdaJson = (result: { status: number; body: unknown }, res: ServerResponse, write: boolean) =>
    (write ? ctx.save() : Promise.resolve()).then(() => sendRestJson(res, result.status, result.body));

  const routes: Array<[string, string, RouteHandler]> = [
    ['POST', '/2015-03-31/functions/:name/invocations', lambdaRoute('Invoke', async (params, _query, body, req, res) => {
      const record = functions.require(decodeURIComponent(params.name!));
      const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      let event: unknown = null;
      if (body.length) {
        try {
          event = JSON.parse(body.toString('utf8'));
        } catch {
          throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json: the payload is not valid JSON.', 400);
        }
      }
      if (invocationType === 'DryRun') return sendRestJson(res, 204, undefined);
      if (invocationType === 'Event') {
        void functions.invoke(record.arn, event);
        return sendRestJson(res, 202, undefined);
      }
      const result = await functions.invoke(record.arn, event);
      const payload = JSON.stringify(result.payload);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'x-amz-executed-version': '$LATEST',
        ...(result.functionError ? { 'x-amz-function-error': result.functionError } : {}),
      });
      res.end(payload);
    })],
    ['POST', '/2015-03-31/functions/:name/policy', lambdaRoute('AddPermission', (params, _q, body, _req, res) =>
      lambdaJson(lambdaApi.AddPermission(decodeURIComponent(params.name!), parseJsonBody(body.toString('utf8'))), res, true))],
    ['GET', '/2015-03-31/functions/:name/policy', lambdaRoute('GetPolicy', (params, _q, _b, _req, res) =>
      lambdaJson(lambdaApi.GetPolicy(decodeURIComponent(params.name!)), res, false))],
    ['DELETE', '/2015-03-31/functions/:name/policy/:sid', lambdaRoute('RemovePermission', (params, query, _b, _req, res) =>
      lambdaJson(lambdaApi.RemovePermission(decodeURIComponent(params.name!), decodeURIComponent(params.sid!), query.get('RevisionId') ?? undefined), res, true))],
    ['GET', '/2015-03-31/functions/:name', lambdaRoute('GetFunction', (params, _q, _b, _req, res) =>
      lambdaJson(lambdaApi.GetFunction(decodeURIComponent(params.name!)), res, false))],
    ['GET', '/2015-03-31/functions/', lambdaRoute('ListFunctions', (_p, _q, _b, _req, res) => lambdaJson(lambdaApi.ListFunctions(), res, false))],
    ...adminRoutes({ ctx, clock, events, faults, calls, functions, rotations }),
  ];
  for (const [method, path, handler] of routes) {
    router.on(method as 'GET', path, handler as never);
  }

  async function handleJson(service: JsonService, operation: string, body: Buffer, res: ServerResponse): Promise<void> {
    try {
      const run = service.operations[operation];
      if (!run) throw new AwsError('UnknownOperationException', `The local cloud does not implement ${service.name}:${operation}.`);
      calls.record(service.name, operation);
      await faults.before(service.name, operation);
      const input = parseJsonBody(body.toString('utf8'));
      const output = await run(input);
      if (!service.readOnly.has(operation)) await ctx.save();
      sendJson(res, 200, output, service.contentType);
    } catch (err) {
      sendJsonError(res, internalError(err), service.contentType);
    }
  }

  async function handleQuery(body: Buffer, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action');
    try {
      if (action !== 'GetCallerIdentity') throw new AwsError('InvalidAction', `The local cloud does not implement sts:${action ?? '(no Action)'}.`);
      calls.record('sts', action);
      await faults.before('sts', action);
      sendXml(res, 200, callerIdentityXml(ctx));
    } catch (err) {
      sendQueryError(res, internalError(err), STS_XMLNS);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://local');
    let label = `${req.method} ${url.pathname}`;
    res.on('finish', () => {
      if (options.logRequests) console.error(`[local-cloud] ${label} ${res.statusCode} ${Date.now() - started}ms`);
    });
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      return sendJsonError(res, internalError(err));
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      const dot = target.indexOf('.');
      const prefix = target.slice(0, dot);
      const operation = target.slice(dot + 1);
      label = target;
      if (prefix === 'DynamoDB_20120810') {
        try {
          calls.record('dynamodb', operation);
          await faults.before('dynamodb', operation);
          const forwarded = await dynamo.forward(req.headers, body);
          res.writeHead(forwarded.status, forwarded.headers);
          return void res.end(forwarded.body);
        } catch (err) {
          return sendJsonError(res, internalError(err), 'application/x-amz-json-1.0');
        }
      }
      const service = jsonServices[prefix];
      if (service) return handleJson(service, operation, body, res);
      return sendJsonError(res, new AwsError('UnknownOperationException', `The local cloud does not serve ${target}.`));
    }
    const route = router.find(req.method as 'GET', url.pathname);
    if (route) {
      return (route.handler as unknown as RouteHandler)(req, res, route.params, url.searchParams, body);
    }
    if (req.method === 'POST' && /^Action=/m.test(body.toString('utf8')) || url.searchParams.has('Action')) {
      label = 'sts';
      return handleQuery(body.length ? body : Buffer.from(url.search.slice(1)), res);
    }
    if (req.method === 'GET' && url.pathname === '/') {
      return sendJson(res, 200, { service: 'local-cloud', region, account, endpoints: ['secretsmanager', 'events', 'lambda', 'sts', 'dynamodb', '/_local'] }, 'application/json');
    }
    sendJsonError(res, new AwsError('UnknownOperationException', `The local cloud has no route for ${req.method} ${url.pathname}.`, 404), 'application/json');
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJsonError(res, internalError(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1', () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;

  let ticking = false;
  const interval = options.schedulerIntervalMs ?? 1000;
  const timer =
    interval > 0
      ? setInterval(() => {
          if (ticking) return;
          ticking = true;
          rotations
            .tick()
            .catch((err: unknown) => console.error(`[local-cloud] scheduler: ${(err as Error).message}`))
            .finally(() => (ticking = false));
        }, interval)
      : undefined;
  timer?.unref();

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    region,
    account,
    clock,
    functions,
    rotations,
    events,
    faults,
    calls,
    async stop() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      await rotations.idle();
      await ctx.save();
      await dynamo.stop();
    },
  };
}
