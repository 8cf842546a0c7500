import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIBackend, type Context, type Document } from 'openapi-backend';
import { parse as parseYaml } from 'yaml';
import type { OnboardingRequest } from '../../shared/contract/types.ts';
import type { Caller } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import type { createOnboarding } from './onboardings.ts';
import { problemResponse, type ApiRequest, type ApiResponse } from './http.ts';
import { onboardingRoutes } from './routes/onboardings.ts';
import { secretRoutes } from './routes/secrets.ts';
import { complianceRoutes } from './routes/compliance.ts';
import { problem, problemFor, ProblemError } from './problem.ts';

export { problemResponse };

export type { ApiRequest, ApiResponse } from './http.ts';

/** Creates an onboarding at most once per (team, Idempotency-Key); the same key with another body is refused. */
export type IdempotentCreate = (input: { team: string; idempotencyKey: string; caller: Caller; request: OnboardingRequest }) => ReturnType<typeof createOnboarding>;

export interface ApiOptions {
  authenticate(request: ApiRequest): Caller;
  createOnboarding: IdempotentCreate;
}

/** openapi.yaml, the one contract: next to the bundle in a Lambda (RCP_OPENAPI_PATH), at the project root otherwise. */
export function loadContract(path = process.env.RCP_OPENAPI_PATH ?? join(dirname(fileURLToPath(import.meta.url)), '../../openapi.yaml')): Document {
  return parseYaml(readFileSync(path, 'utf8')) as Document;
}

/**
 * The REST API: requests are routed and validated against openapi.yaml (openapi-backend), the
 * caller authenticated by the contract's security schemes, and each operation handed to its domain
 * function. Every error is an application/problem+json that says what to fix.
 */
export function createApi(deps: ApiDeps, options: ApiOptions, contract: Document = loadContract()): (request: ApiRequest) => Promise<ApiResponse> {
  // The request travels as a handler argument: concurrent requests never see each other's.
  const authenticate = (_c: Context, request: ApiRequest) => options.authenticate(request);
  const api = new OpenAPIBackend({
    definition: contract,
    // openapi.yaml is checked against the OpenAPI 3.1 schema by `npm run lint`; this library validates against 3.0.
    quick: true,
    coerceTypes: true,
    ajvOpts: { strict: false, allErrors: true },
    // Both schemes name the one way this runtime authenticates (bearer tokens locally, IAM on AWS).
    securityHandlers: { bearer: authenticate, sigv4: authenticate },
    handlers: {
      unauthorizedHandler: (c: Context) => {
        const failure = Object.values(c.security ?? {}).find((r): r is { error: unknown } => typeof r === 'object' && r !== null && 'error' in r);
        throw failure?.error instanceof ProblemError ? failure.error : problem(401, 'unauthenticated', 'this operation needs credentials');
      },
      validationFail: (c: Context) => {
        const errors = (c.validation.errors ?? []).map((e) => {
          const params = (e.params ?? {}) as Record<string, unknown>;
          // JSON pointers into the body ("/secretId"), or into "/header", "/path" and "/query" for parameters.
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
        throw problem(501, 'not-implemented', 'this operation is in the contract but not implemented');
      },
      ...onboardingRoutes(deps, options.createOnboarding),
      ...secretRoutes(deps),
      ...complianceRoutes(deps, options.createOnboarding),
    },
  });
  const ready = api.init();

  return async (request) => {
    try {
      await ready;
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
      return (await api.handleRequest({ method: request.method, path: request.path, query: request.query, headers, body }, { ...request, headers })) as ApiResponse;
    } catch (err) {
      const answer = problemFor(err);
      if (answer.problem.status >= 500 && !(err instanceof ProblemError)) deps.log('request failed', { errorName: (err as Error).name, errorMessage: (err as Error).message });
      return problemResponse(answer);
    }
  };
}
