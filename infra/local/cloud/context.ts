import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from './auth/principals.ts';
import type { Statement } from './auth/policy-document.ts';
import type { Scope } from './scopes.ts';

/**
 * What a provider is handed for one call: who is calling, in which account and region, and that
 * account-region's state. Providers never see HTTP: the gateway has already found the operation,
 * parsed its input, resolved the caller and applied faults and authorisation.
 */
export interface RequestContext {
  requestId: string;
  service: string;
  operation: string;
  /** The caller's account: names without an ARN resolve here. */
  account: string;
  /** The region the request was signed for. */
  region: string;
  caller: Caller;
  /** The state of `account` in `region`. */
  scope: Scope;
  /** The request as received, for providers that pass it through whole (DynamoDB). */
  raw: { headers: IncomingHttpHeaders; body: Buffer };
}

/** A resource an operation acts on, as IAM authorises it. */
export interface AuthorizedResource {
  arn: string;
  /** Another action than the operation's (RotateSecret also needs lambda:InvokeFunction on the function). */
  action?: string;
  /** Only the caller's own policies decide (a permission the call needs but never exercises across accounts). */
  identityOnly?: boolean;
  /** The account that owns it: another account than the caller's is cross-account access. */
  account: string;
  /** Tags, for aws:ResourceTag/<key> and <service>:ResourceTag/<key>. */
  tags?: Record<string, string>;
  /** The resource-based policy (a secret's, a function's), if any. */
  policy?: readonly Statement[];
}

export interface Operation {
  run(input: Record<string, unknown>, ctx: RequestContext): unknown;
  /** The IAM action, when it is not `<service>:<operation>` (lambda:InvokeFunction for Invoke). */
  action?: string;
  /** What IAM authorises the call on; by default `*` in the caller's account. */
  resources?(input: Record<string, unknown>, ctx: RequestContext): AuthorizedResource[] | Promise<AuthorizedResource[]>;
  /** Extra condition keys for this call (sts:ExternalId; aws:TagKeys, a list). */
  conditionKeys?(input: Record<string, unknown>, ctx: RequestContext): Record<string, string | string[] | undefined>;
  /** Answered for any caller without authorisation (sts:GetCallerIdentity). */
  open?: boolean;
}

/** A REST route of a REST-JSON service: the gateway turns the request into the operation's input. */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** find-my-way pattern, e.g. `/2015-03-31/functions/:FunctionName/policy` */
  path: string;
  operation: string;
  /** Success status (200 unless given). */
  status?: number;
  /** Query parameters copied into the input, by query name -> input member. */
  query?: Record<string, string>;
  /** Headers copied into the input, by header name (lower case) -> input member. */
  headers?: Record<string, string>;
  /** The JSON body is the input (merged with path, query and header members); or the raw body goes to this member. */
  body?: 'json' | { raw: string };
}

export type ProtocolBinding =
  | { protocol: 'json'; targetPrefix: string; contentType: 'application/x-amz-json-1.0' | 'application/x-amz-json-1.1' }
  | { protocol: 'query'; signingName: string; xmlns: string }
  | { protocol: 'rest-json'; routes: RestRoute[] };

/** One AWS service as the local cloud serves it (LocalStack's "provider"). */
export interface ServiceProvider {
  /** IAM's service prefix; also the key for faults and call counts (`secretsmanager:PutSecretValue`). */
  name: string;
  bindings: ProtocolBinding[];
  operations: Record<string, Operation>;
  /** How this service refuses an unauthorised call. */
  accessDenied: { code: string; status: number };
}

/**
 * A point in time in a response: the JSON protocols carry it as epoch seconds, the query
 * protocol as ISO 8601 (so one provider serves both, as STS does).
 */
export class Timestamp {
  constructor(readonly epochMs: number) {}

  toJSON(): number {
    return this.epochMs / 1000;
  }

  toISOString(): string {
    return new Date(this.epochMs).toISOString();
  }
}

/** A response the provider shapes itself (a function's payload, DynamoDB's own answer). */
export class RawResponse {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: Buffer | string,
  ) {}
}

/** A provider's result when the protocol's success status is not enough (REST-JSON). */
export class StatusResponse {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
