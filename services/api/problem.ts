import type { Problem } from '../../shared/contract/types.ts';
import { retryKind } from '../onboarding/errors.ts';

export type { Problem };

/** Where every problem type's URI starts; the slug names the kind of problem. */
export const PROBLEM_TYPE_BASE = 'https://secret-rotation-control-plane.dev/problems/';

/** An RFC 9457 problem with the headers it must travel with (Retry-After, WWW-Authenticate). */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
    this.name = 'ProblemError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests',
  431: 'Request header fields too large',
  500: 'Internal error',
  503: 'Service unavailable',
};

export function problem(status: number, slug: string, detail: string, errors?: Problem['errors'], headers: Record<string, string> = {}): ProblemError {
  return new ProblemError(
    { type: `${PROBLEM_TYPE_BASE}${slug}`, title: TITLES[status] ?? 'Error', status, detail, ...(errors?.length ? { errors } : {}) },
    headers,
  );
}

/**
 * Any error as the problem a client can act on: our own problems as they are, AWS throttling as
 * 429 and a passing AWS fault as 503 (both with Retry-After: nothing was changed, retrying works),
 * anything else as a 500 that says it is logged.
 */
export function problemFor(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err instanceof URIError) return problem(400, 'malformed-path', 'the request path has a malformed percent-encoding: encode each path segment once (encodeURIComponent)');
  switch (retryKind(err)) {
    case 'throttled':
      return problem(429, 'throttled', 'AWS throttled this request (its per-second quotas): retry after the time in Retry-After', undefined, { 'retry-after': '2' });
    case 'transient':
      return problem(503, 'aws-unavailable', 'AWS failed this request for a passing reason and nothing was changed: retry after the time in Retry-After', undefined, { 'retry-after': '3' });
    default:
      return problem(500, 'internal', 'the request failed on the server; it is logged, and retrying may help');
  }
}
