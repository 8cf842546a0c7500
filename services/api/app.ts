import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIBackend, type Context, type Document } from 'openapi-backend';
import { parse as parseYaml } from 'yaml';
import type { OnboardingStatus } from '../onboarding/records.ts';
import type { OnboardingRequest } from '../onboarding/state.ts';
import type { Caller } from './auth.ts';
import { getOnboarding, getRotation, listOnboardings, offboard, rotateNow, type ApiDeps, type OnboardingView } from './onboarding-service.ts';
import { problem, ProblemError } from './problem.ts';
import { serviceTypes } from './service-types.ts';

/** A transport-neutral request: the local server and the Lambda handler both translate to it. */
export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body?: string;
  /** The caller's IAM ARN as API Gateway verified it (never taken from a header). */
  iamIdentity?: string;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Creates an onboarding at most once per (team, Idempotency-Key); the same key with another body is refused. */
export type IdempotentCreate = (input: { team: string; idempotencyKey: string; caller: Caller; request: OnboardingRequest }) => Promise<OnboardingView>;

export interface ApiOptions {
  authenticate(request: ApiRequest): Caller;
  createOnboarding: IdempotentCreate;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/** openapi.yaml, the one contract: next to the bundle in a Lambda (RCP_OPENAPI_PATH), at the project root otherwise. */
export function loadContract(): Document {
  const path = process.env.RCP_OPENAPI_PATH ?? join(dirname(fileURLToPath(import.meta.url)), '../../openapi.yaml');
  return parseYaml(readFileSync(path, 'utf8')) as Document;
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

function problemResponse(err: ProblemError): ApiResponse {
  return { statusCode: err.problem.status, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(err.problem) };
}

/**
 * The REST API: requests are routed and validated against openapi.yaml (openapi-backend), the
 * caller authenticated, and each operation handed to its domain function. Every error is an
 * application/problem+json that says what to fix.
 */
export function createApi(deps: ApiDeps, options: ApiOptions): (request: ApiRequest) => Promise<ApiResponse> {
  const api = new OpenAPIBackend({
    definition: loadContract(),
    // openapi.yaml is checked against the OpenAPI 3.1 schema by `npm run lint`; this library validates against 3.0.
    quick: true,
    coerceTypes: true,
    ajvOpts: { strict: false, allErrors: true },
    handlers: {
      validationFail: (c: Context) => {
        const errors = (c.validation.errors ?? []).map((e) => {
          const params = (e.params ?? {}) as Record<string, unknown>;
          // JSON pointers into the body ("/secretId"), or into "/header" and "/query" for parameters.
          const base = e.instancePath.replace(/^\/requestBody/, '');
          const path = params.missingProperty ? `${base}/${String(params.missingProperty)}` : base || '/';
          const extra = params.allowedValues ? `: ${(params.allowedValues as unknown[]).join(', ')}` : params.additionalProperty ? `: ${String(params.additionalProperty)}` : '';
          return { path, message: `${e.message ?? 'is invalid'}${extra}` };
        });
        throw problem(400, 'invalid-request', `the request does not match the API contract: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
      },
      notFound: (c: Context) => {
        throw problem(404, 'no-such-route', `no operation at ${c.request.method.toUpperCase()} ${c.request.path}: see openapi.yaml`);
      },
      methodNotAllowed: (c: Context) => {
        throw problem(405, 'method-not-allowed', `${c.request.method.toUpperCase()} is not allowed on ${c.request.path}`);
      },
      notImplemented: () => {
        throw problem(500, 'not-implemented', 'this operation is in the contract but not implemented');
      },
      createOnboarding: async (c: Context, caller: Caller) => {
        const view = await options.createOnboarding({
          team: caller.team,
          idempotencyKey: String(c.request.headers['idempotency-key']),
          caller,
          request: c.request.requestBody as OnboardingRequest,
        });
        return json(202, view, { location: view.links.self });
      },
      listOnboardings: async (c: Context, caller: Caller) => {
        const q = c.request.query as Record<string, string | undefined>;
        return json(200, await listOnboardings(deps, caller, { status: q.status as OnboardingStatus | undefined, limit: q.limit ? Number(q.limit) : undefined, nextToken: q.nextToken }));
      },
      getOnboarding: async (c: Context, caller: Caller) => json(200, await getOnboarding(deps, caller, String(c.request.params.onboardingId))),
      offboard: async (c: Context, caller: Caller) => json(202, await offboard(deps, caller, String(c.request.params.onboardingId))),
      rotateNow: async (c: Context, caller: Caller) => json(202, await rotateNow(deps, caller, decodeURIComponent(String(c.request.params.secretId)))),
      getRotation: async (c: Context, caller: Caller) => json(200, await getRotation(deps, caller, decodeURIComponent(String(c.request.params.secretId)))),
      listServiceTypes: async () => json(200, { items: serviceTypes() }),
    },
  });
  const ready = api.init();

  return async (request) => {
    try {
      await ready;
      const caller = options.authenticate({ ...request, headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])) });
      // Header names in any case (API Gateway keeps the client's): one lowercased map for everything below.
      const headers = Object.fromEntries(Object.entries(request.headers).filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => [k.toLowerCase(), v]));
      let body: unknown = undefined;
      if (request.body !== undefined && request.body !== '') {
        const type = headers['content-type'] ?? '';
        if (!/^application\/json\b/i.test(type)) throw problem(415, 'unsupported-media-type', 'send the body as application/json');
        try {
          body = JSON.parse(request.body);
        } catch {
          throw problem(400, 'malformed-json', 'the body is not valid JSON');
        }
      }
      return (await api.handleRequest({ method: request.method, path: request.path, query: request.query, headers, body }, caller)) as ApiResponse;
    } catch (err) {
      if (err instanceof ProblemError) return problemResponse(err);
      options.log?.('request failed', { errorName: (err as Error).name, errorMessage: (err as Error).message });
      return problemResponse(problem(500, 'internal', 'the request failed on the server; it is logged, and retrying may help'));
    }
  };
}
