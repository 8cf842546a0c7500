import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { assembleCloud, type LocalCloudOptions } from './assembly.ts';
import type { Clock } from './clock.ts';
import type { CloudEngines } from './engines.ts';
import { AwsError } from './errors.ts';
import type { CallCounter, FaultInjector } from './faults.ts';
import { internalError, readBody } from './gateway/gateway.ts';
import { sendJson, sendJsonError } from './protocol/json-protocol.ts';
import type { Scopes } from './scopes.ts';
import type { EventLog } from './services/eventbridge/event-store.ts';
import type { BuiltinFunction, FunctionRecord, LambdaRuntime } from './services/lambda/functions.ts';
import type { RotationEngine } from './services/secretsmanager/rotation-engine.ts';

export type { CloudCore, LocalCloudOptions } from './assembly.ts';

export const DEFAULT_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_PORT = 4566;

export interface LocalCloud {
  url: string;
  port: number;
  /** The default account and region. */
  region: string;
  account: string;
  clock: Clock;
  scopes: Scopes;
  events: EventLog;
  lambda: LambdaRuntime;
  rotations: RotationEngine;
  /** Step Functions and EventBridge rules of every account-region. */
  engines: CloudEngines;
  faults: FaultInjector;
  calls: CallCounter;
  /** Registers (or replaces) an in-process function, also after start. */
  registerFunction(fn: BuiltinFunction): Promise<FunctionRecord>;
  stop(): Promise<void>;
}

/** Starts the local cloud: state loaded from `stateDir`, every service behind one HTTP port, and the rotation scheduler. */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const defaults = { account: options.account ?? DEFAULT_ACCOUNT, region: options.region ?? DEFAULT_REGION };
  const stateDir = resolve(options.stateDir ?? '.local-cloud');
  const { core, rotations, engines, gateway, admin, faults, calls, saveClock, pruneSessions, setUrl } = await assembleCloud(options, stateDir, defaults);
  const { clock, scopes, events, lambda } = core;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      return sendJsonError(res, internalError(err));
    }
    if (url.pathname.startsWith('/_local/')) return admin.handle(req, res, url, body);
    if (await gateway.handle(req, res, url, body)) return;
    if (req.method === 'GET' && url.pathname === '/') {
      return sendJson(res, 200, { service: 'local-cloud', ...defaults, endpoints: ['secretsmanager', 'events', 'states', 'lambda', 'sts', 'iam', 'organizations', 'dynamodb', '/_local'] }, 'application/json');
    }
    sendJsonError(res, new AwsError('UnknownOperationException', `The local cloud has no route for ${req.method} ${url.pathname}.`, 404), 'application/json');
  }

  const server = createServer((req, res) => {
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
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  setUrl(url);

  // Rotations a crash cut off are due now, as the service retries one whose function timed out.
  await rotations.resumeInterrupted();
  // Executions left RUNNING and deliveries not yet done carry on. A built-in function that an
  // embedder registers only after this (registerFunction) is waited for by Lambda within its
  // timeout, so a resumed task that invokes it first does not fail.
  engines.start();

  let ticking = false;
  const interval = options.schedulerIntervalMs ?? 1000;
  const timer =
    interval > 0
      ? setInterval(() => {
          if (ticking) return;
          ticking = true;
          rotations
            .tick()
            .then(() => pruneSessions())
            .then(() => ((options.clockScale ?? 1) !== 1 ? saveClock() : undefined))
            .catch((err: unknown) => console.error(`[local-cloud] scheduler: ${(err as Error).message}`))
            .finally(() => (ticking = false));
        }, interval)
      : undefined;
  timer?.unref();

  return {
    url,
    port,
    clock,
    scopes,
    events,
    lambda,
    region: defaults.region,
    account: defaults.account,
    rotations,
    engines,
    faults,
    calls,
    registerFunction: (fn) => lambda.registerBuiltin(fn),
    async stop() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      await rotations.idle();
      // Before the journals close: executions stay RUNNING and deliveries queued, to resume next time.
      await engines.stop();
      await saveClock();
      await events.close();
      await scopes.close();
    },
  };
}
