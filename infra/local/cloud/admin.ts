import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import { z } from 'zod';
import type { Clock } from './clock.ts';
import type { CloudEngines } from './engines.ts';
import type { CallCounter, FaultInjector } from './faults.ts';
import { isRegionName, type Scope, type Scopes } from './scopes.ts';
import type { EventLog } from './services/eventbridge/event-store.ts';
import type { LambdaRuntime } from './services/lambda/functions.ts';
import { Organization, organizationSchema } from './services/organizations/organization.ts';
import type { SecretsManagerBackend } from './services/secretsmanager/backend.ts';
import type { RotationAttempt } from './services/secretsmanager/model.ts';
import type { RotationEngine } from './services/secretsmanager/rotation-engine.ts';

/**
 * `/_local/*`: what the real cloud shows through its consoles and logs rather than its APIs —
 * the events buses received, deliveries to rule targets still pending or given up, the clock,
 * fault injection, call counts, rotation attempts, the organisation — plus registering a test
 * function. Plain JSON; every time is ISO 8601. Routes
 * that read one account-region take `account` and `region` (default: the cloud's defaults).
 */
export interface AdminDeps {
  defaults: { account: string; region: string };
  clock: Clock;
  saveClock(): Promise<void>;
  events: EventLog;
  faults: FaultInjector;
  calls: CallCounter;
  lambda: LambdaRuntime;
  rotations: RotationEngine;
  engines: CloudEngines;
  scopes: Scopes;
  backendOf(scope: Scope): SecretsManagerBackend;
}

interface RouteInput {
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  json: unknown;
}
type Route = (input: RouteInput) => Promise<[number, unknown]> | [number, unknown];

const clockInput = z.union([
  z.object({ advanceSeconds: z.number().nonnegative() }).strict(),
  z.object({ advanceMs: z.number().nonnegative() }).strict(),
  z.object({ to: z.string().datetime() }).strict(),
]);

const account = z.string().regex(/^\d{12}$/, 'an account id has 12 digits');
const region = z.string().refine(isRegionName, 'a region name such as us-east-1');
const placement = { account: account.optional(), region: region.optional() };
const functionInput = z.union([
  z.object({ name: z.string(), url: z.string().url(), timeoutSeconds: z.number().positive().max(900).optional(), role: z.string().optional(), environment: z.record(z.string(), z.string()).optional(), ...placement }).strict(),
  z.object({ name: z.string(), module: z.string(), export: z.string().default('handler'), timeoutSeconds: z.number().positive().max(900).optional(), role: z.string().optional(), environment: z.record(z.string(), z.string()).optional(), ...placement }).strict(),
]);

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** An attempt as /_local shows it: times in ISO 8601, and never the RotationToken (a credential). */
function attemptView(attempt: RotationAttempt | undefined) {
  if (!attempt) return undefined;
  return {
    token: attempt.token,
    startedAt: iso(attempt.startedAt),
    attempts: attempt.attempts,
    nextAttemptAt: iso(attempt.nextAttemptAt),
    running: attempt.running && { since: iso(attempt.running.since), step: attempt.running.step },
    lastError: attempt.lastError && { ...attempt.lastError, at: iso(attempt.lastError.at) },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

export class AdminRoutes {
  private readonly router = FindMyWay<HTTPVersion.V1>();

  constructor(private readonly deps: AdminDeps) {
    for (const [method, path, route] of this.routes()) this.router.on(method as 'GET', path, () => undefined, route);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const found = this.router.find(req.method as 'GET', url.pathname);
    if (!found) return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    try {
      let json: unknown = undefined;
      if (body.length) {
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          return send(res, 400, { error: 'the request body is not valid JSON' });
        }
      }
      const [status, out] = await (found.store as Route)({ params: found.params, query: url.searchParams, json });
      send(res, status, out);
    } catch (err) {
      if (err instanceof z.ZodError) return send(res, 400, { error: 'invalid request', issues: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) });
      const error = err as Error & { code?: string };
      send(res, error.code === 'ResourceNotFoundException' ? 404 : 400, { error: error.message });
    }
  }

  /** The account-region a route reads: its `account` and `region` parameters, or the defaults. */
  private where(query: URLSearchParams): { account: string; region: string } {
    return {
      account: account.parse(query.get('account') ?? this.deps.defaults.account),
      region: region.parse(query.get('region') ?? this.deps.defaults.region),
    };
  }

  private routes(): Array<[string, string, Route]> {
    const { clock, events, faults, calls, lambda, rotations, engines, scopes, defaults } = this.deps;
    const clockView = () => ({ now: clock.date().toISOString() });
    return [
      ['GET', '/_local/health', () => [200, { status: 'ok', account: defaults.account, region: defaults.region, ...clockView() }]],

      [
        'GET',
        '/_local/events',
        ({ query }) => {
          const limit = query.get('limit');
          const found = events.query({
            account: query.get('account') ? account.parse(query.get('account')) : undefined,
            region: query.get('region') ? region.parse(query.get('region')) : undefined,
            bus: query.get('bus') ?? undefined,
            source: query.get('source') ?? undefined,
            detailType: query.get('detailType') ?? undefined,
            after: query.get('after') ?? undefined,
            limit: limit ? Math.max(1, Number(limit)) : undefined,
          });
          return [200, { events: found }];
        },
      ],

      ['GET', '/_local/clock', () => [200, clockView()]],
      [
        'POST',
        '/_local/clock',
        async ({ json }) => {
          const input = clockInput.parse(json);
          if ('advanceSeconds' in input) clock.advance(input.advanceSeconds * 1000);
          else if ('advanceMs' in input) clock.advance(input.advanceMs);
          else clock.setTo(Date.parse(input.to));
          await this.deps.saveClock();
          return [200, clockView()];
        },
      ],

      ['GET', '/_local/faults', () => [200, faults.get()]],
      ['PUT', '/_local/faults', ({ json }) => [200, faults.set(json ?? {})]],
      ['DELETE', '/_local/faults', () => [200, faults.set({})]],

      ['GET', '/_local/calls', () => [200, calls.snapshot()]],
      [
        'DELETE',
        '/_local/calls',
        () => {
          calls.reset();
          return [200, {}];
        },
      ],

      [
        'POST',
        '/_local/scheduler/tick',
        async ({ query }) => {
          const started = await rotations.tick();
          // Scheduled rules due and delivery retries due, in every account-region.
          await engines.tick();
          // wait=true: answer when the rotations this pass started have finished (or failed), and the deliveries due are done.
          if (query.get('wait') === 'true') await Promise.all([rotations.idle(), engines.deliveriesIdle()]);
          return [200, { started }];
        },
      ],

      [
        'GET',
        '/_local/deliveries',
        async ({ query }) => {
          const where = this.where(query);
          const { queued, deadLetters } = await engines.deliveries(where.account, where.region);
          return [
            200,
            {
              queued: queued.map((d) => ({
                id: d.id,
                rule: d.ruleArn,
                target: { id: d.target.Id, arn: d.target.Arn },
                eventId: d.event.id,
                queuedAt: iso(d.queuedAt),
                attempts: d.attempts,
                nextAttemptAt: iso(d.nextAt),
                lastError: d.lastError,
              })),
              deadLetters: deadLetters.map((d) => ({
                id: d.id,
                rule: d.ruleArn,
                target: { id: d.targetId, arn: d.targetArn },
                eventId: d.eventId,
                reason: d.reason,
                at: iso(d.at),
                deadLetterArn: d.deadLetterArn,
              })),
            },
          ];
        },
      ],

      [
        'GET',
        '/_local/rotations',
        async ({ query }) => {
          const where = this.where(query);
          // An account-region never used has no rotations (and reading it creates nothing).
          const scope = scopes.openRegion(where.account, where.region);
          if (!scope) return [200, { secrets: [] }];
          const backend = this.deps.backendOf(scope);
          return [
            200,
            {
              secrets: backend.secrets
                .all()
                .filter((s) => s.rotation.lambdaArn !== undefined)
                .map((s) => {
                  const window = s.rotation.enabled ? rotations.window(s) : undefined;
                  return {
                    arn: s.arn,
                    name: s.name,
                    enabled: s.rotation.enabled,
                    lambdaArn: s.rotation.lambdaArn,
                    rules: s.rotation.rules,
                    lastRotated: iso(s.lastRotated),
                    nextWindow: window && { start: iso(window.start), end: iso(window.end) },
                    inProgress: attemptView(s.rotation.inProgress),
                    lastFailure: attemptView(s.rotation.lastFailure),
                  };
                }),
            },
          ];
        },
      ],

      [
        'POST',
        '/_local/functions',
        async ({ json }) => {
          const input = functionInput.parse(json);
          const where = { account: input.account ?? defaults.account, region: input.region ?? defaults.region };
          const source = 'url' in input ? { kind: 'url' as const, url: input.url } : { kind: 'module' as const, path: input.module, exportName: input.export };
          const record = await lambda.register(where, input.name, source, { timeoutSeconds: input.timeoutSeconds, role: input.role, environment: input.environment });
          return [201, { name: record.name, arn: record.arn }];
        },
      ],
      [
        'DELETE',
        '/_local/functions/:name',
        async ({ params, query }) => {
          const removed = await lambda.unregister(this.where(query), params.name!);
          return removed ? [200, { deleted: params.name }] : [404, { error: `no function ${params.name}` }];
        },
      ],

      [
        'GET',
        '/_local/organization',
        async () => {
          const org = Organization.of(await scopes.cloud()).get();
          return org ? [200, { id: org.id, managementAccount: org.managementAccount, accounts: org.accounts }] : [404, { error: 'no organization is configured' }];
        },
      ],
      [
        'PUT',
        '/_local/organization',
        async ({ json }) => {
          const config = organizationSchema.parse(json);
          const org = Organization.of(await scopes.cloud());
          org.set(config, clock.now());
          await org.commit();
          return [200, config];
        },
      ],
      [
        'DELETE',
        '/_local/organization',
        async () => {
          const org = Organization.of(await scopes.cloud());
          org.set(undefined, clock.now());
          await org.commit();
          return [200, {}];
        },
      ],
    ];
  }
}
