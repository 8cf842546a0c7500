import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Clock } from './clock.ts';
import type { ServiceContext } from './context.ts';
import type { CallCounter, FaultInjector } from './faults.ts';
import type { EventStore } from './services/eventbridge/event-store.ts';
import type { LambdaFunctions } from './services/lambda/functions.ts';
import type { RotationEngine } from './services/secretsmanager/rotation-engine.ts';

/**
 * `/_local/*`: what the real cloud shows through its consoles and logs rather than its APIs —
 * the events a bus received, the clock, fault injection, call counts, rotation attempts — plus
 * registering a test function. Plain JSON; tests, the CLI and demos use it.
 */

interface AdminDeps {
  ctx: ServiceContext;
  clock: Clock;
  events: EventStore;
  faults: FaultInjector;
  calls: CallCounter;
  functions: LambdaFunctions;
  rotations: RotationEngine;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>, query: URLSearchParams, body: Buffer) => Promise<void>;

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

const clockInput = z.union([
  z.object({ advanceSeconds: z.number().nonnegative() }).strict(),
  z.object({ advanceMs: z.number().nonnegative() }).strict(),
  z.object({ to: z.string().datetime() }).strict(),
]);

const functionInput = z.union([
  z.object({ name: z.string(), url: z.string().url(), timeoutSeconds: z.number().positive().max(900).optional() }).strict(),
  z.object({ name: z.string(), module: z.string(), export: z.string().default('handler'), timeoutSeconds: z.number().positive().max(900).optional() }).strict(),
]);

/** Wraps a handler: JSON body parsing, zod errors as 400 with the issue list, anything else as 500. */
function route(run: (input: { params: Record<string, string | undefined>; query: URLSearchParams; json: unknown }) => Promise<[number, unknown]> | [number, unknown]): Handler {
  return async (_req, res, params, query, body) => {
    try {
      let json: unknown = undefined;
      if (body.length) {
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          return send(res, 400, { error: 'the request body is not valid JSON' });
        }
      }
      const [status, out] = await run({ params, query, json });
      send(res, status, out);
    } catch (err) {
      if (err instanceof z.ZodError) return send(res, 400, { error: 'invalid request', issues: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) });
      const error = err as Error & { code?: string };
      send(res, error.code === 'ResourceNotFoundException' ? 404 : 400, { error: error.message });
    }
  };
}

export function adminRoutes({ ctx, clock, events, faults, calls, functions, rotations }: AdminDeps): Array<[string, string, Handler]> {
  const clockView = () => ({ now: clock.date().toISOString(), epochMs: clock.now() });
  return [
    ['GET', '/_local/health', route(() => [200, { status: 'ok', region: ctx.region, account: ctx.account, ...clockView() }])],

    [
      'GET',
      '/_local/events',
      route(({ query }) => {
        const limit = query.get('limit');
        const found = events.query({
          bus: query.get('bus') ?? undefined,
          source: query.get('source') ?? undefined,
          detailType: query.get('detailType') ?? undefined,
          after: query.get('after') ?? undefined,
          limit: limit ? Math.max(1, Number(limit)) : undefined,
        });
        return [200, { events: found }];
      }),
    ],

    ['GET', '/_local/clock', route(() => [200, clockView()])],
    [
      'POST',
      '/_local/clock',
      route(async ({ json }) => {
        const input = clockInput.parse(json);
        if ('advanceSeconds' in input) clock.advance(input.advanceSeconds * 1000);
        else if ('advanceMs' in input) clock.advance(input.advanceMs);
        else clock.setTo(Date.parse(input.to));
        await ctx.save();
        return [200, clockView()];
      }),
    ],

    ['GET', '/_local/faults', route(() => [200, faults.get()])],
    ['PUT', '/_local/faults', route(({ json }) => [200, faults.set(json ?? {})])],
    ['DELETE', '/_local/faults', route(() => [200, faults.set({})])],

    ['GET', '/_local/calls', route(() => [200, calls.snapshot()])],
    [
      'DELETE',
      '/_local/calls',
      route(() => {
        calls.reset();
        return [200, {}];
      }),
    ],

    [
      'POST',
      '/_local/scheduler/tick',
      route(async ({ query }) => {
        const started = await rotations.tick();
        // wait=true: answer when the rotations this pass started have finished (or failed).
        if (query.get('wait') === 'true') await rotations.idle();
        return [200, { started }];
      }),
    ],

    [
      'GET',
      '/_local/rotations',
      route(() => [
        200,
        {
          secrets: ctx.state.secrets
            .filter((s) => s.rotation.lambdaArn !== undefined)
            .map((s) => {
              const window = s.rotation.enabled ? rotations.window(s) : undefined;
              return {
                arn: s.arn,
                name: s.name,
                enabled: s.rotation.enabled,
                lambdaArn: s.rotation.lambdaArn,
                rules: s.rotation.rules,
                lastRotated: s.lastRotated === undefined ? undefined : new Date(s.lastRotated).toISOString(),
                nextWindow: window && { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
                inProgress: s.rotation.inProgress,
                lastFailure: s.rotation.lastFailure,
              };
            }),
        },
      ]),
    ],

    [
      'POST',
      '/_local/functions',
      route(async ({ json }) => {
        const input = functionInput.parse(json);
        const record =
          'url' in input
            ? functions.register(input.name, { kind: 'url', url: input.url }, input.timeoutSeconds)
            : functions.register(input.name, { kind: 'module', path: input.module, exportName: input.export }, input.timeoutSeconds);
        await ctx.save();
        return [201, { name: record.name, arn: record.arn }];
      }),
    ],
    [
      'DELETE',
      '/_local/functions/:name',
      route(async ({ params }) => {
        const removed = functions.unregister(params.name!);
        await ctx.save();
        return removed ? [200, { deleted: params.name }] : [404, { error: `no function ${params.name}` }];
      }),
    ],
  ];
}
