import type { Context } from 'openapi-backend';
import type { Caller } from './auth.ts';
import type { ProblemError } from './problem.ts';

/** A transport-neutral request: the local server and the Lambda handler both translate to it. */
export interface ApiRequest {
  method: string;
  /** As received: percent-encoded; the router decodes each path parameter once. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body?: string;
  /** The caller's IAM ARN as API Gateway verified it (never taken from a header). */
  iamIdentity?: string;
  /** The claims of a Cognito token API Gateway's Cognito authoriser verified (the console's sign-in on AWS). */
  cognitoClaims?: Record<string, unknown>;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** One operation of the contract: openapi-backend's context (routed, validated, authenticated) in, a response out. */
export type Route = (c: Context, request: ApiRequest) => Promise<ApiResponse> | ApiResponse;

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export function problemResponse(err: ProblemError): ApiResponse {
  return { statusCode: err.problem.status, headers: { 'content-type': 'application/problem+json', ...err.headers }, body: JSON.stringify(err.problem) };
}

/** The caller the contract's security handlers found for this request. */
export const callerOf = (c: Context): Caller => {
  const security = c.security as { bearer?: Caller; sigv4?: Caller };
  return (security.bearer ?? security.sigv4)!;
};

/** A path or query parameter, as the router decoded and validated it. */
export const param = (c: Context, name: string): string => String((c.request.params as Record<string, unknown>)[name]);
export const query = (c: Context): Record<string, string | undefined> => c.request.query as Record<string, string | undefined>;
