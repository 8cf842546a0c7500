import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import type { Authorizer } from '../auth/authorizer.ts';
import type { Caller } from '../auth/principals.ts';
import { RawResponse, StatusResponse, type Operation, type ProtocolBinding, type RequestContext, type RestRoute, type ServiceProvider } from '../context.ts';
import { AwsError } from '../errors.ts';
import type { CallCounter, FaultInjector } from '../faults.ts';
import { parseJsonBody, sendJsonError } from '../protocol/json-protocol.ts';
import { parseQueryParameters, sendQueryError, sendQueryResult } from '../protocol/query-protocol.ts';
import { sendRestJson, sendRestJsonError } from '../protocol/rest-json-protocol.ts';
import type { Scopes } from '../scopes.ts';
import { CredentialError, type Identities } from './identity.ts';
import { signingScope } from './sigv4.ts';

/**
 * The protocol layer (LocalStack's gateway): finds the service and operation a request is for
 * (X-Amz-Target for JSON 1.0/1.1, a REST route, or the query protocol's Action), resolves the
 * caller and the account-region it acts in, counts the call, applies injected faults, asks IAM,
 * runs the provider's operation and writes the answer (or the error) in that protocol's shape.
 */
export interface GatewayDeps {
  providers: ServiceProvider[];
  scopes: Scopes;
  identities: Identities;
  authorizer: Authorizer;
  faults: FaultInjector;
  calls: CallCounter;
  defaults: { account: string; region: string };
  logRequests: boolean;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

type Binding<P extends ProtocolBinding['protocol']> = Extract<ProtocolBinding, { protocol: P }>;
interface Dispatch {
  provider: ServiceProvider;
  operationName: string;
  binding: ProtocolBinding;
  route?: RestRoute;
  /** Builds the operation's input (may throw a protocol error such as SerializationException). */
  input: () => Record<string, unknown>;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
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
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const INTERNAL_CODES: Record<string, string> = { secretsmanager: 'InternalServiceError', lambda: 'ServiceException', iam: 'ServiceFailure' };

export function internalError(err: unknown, service = ''): AwsError {
  if (err instanceof AwsError) return err;
  // Never echo arbitrary error text: it could quote request content. Log the class, answer generically.
  console.error(`[local-cloud] internal error: ${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`);
  return new AwsError(INTERNAL_CODES[service] ?? 'InternalFailure', 'An error occurred on the server side.', 500);
}

export class Gateway {
  private readonly jsonTargets = new Map<string, { provider: ServiceProvider; binding: Binding<'json'> }>();
  private readonly querySigning = new Map<string, { provider: ServiceProvider; binding: Binding<'query'> }>();
  private readonly queryActions = new Map<string, { provider: ServiceProvider; binding: Binding<'query'> }>();
  private readonly router = FindMyWay<HTTPVersion.V1>();

  constructor(private readonly deps: GatewayDeps) {
    for (const provider of deps.providers) this.add(provider);
  }

  /** Adds a service (the Step Functions provider and others plug in here). */
  add(provider: ServiceProvider): void {
    for (const binding of provider.bindings) {
      if (binding.protocol === 'json') this.jsonTargets.set(binding.targetPrefix, { provider, binding });
      else if (binding.protocol === 'query') {
        this.querySigning.set(binding.signingName, { provider, binding });
        for (const action of Object.keys(provider.operations)) this.queryActions.set(action, { provider, binding });
      } else {
        for (const route of binding.routes) this.router.on(route.method, route.path, () => undefined, { provider, binding, route });
      }
    }
  }

  /** Handles one AWS API request; false when it is none (the caller answers 404). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<boolean> {
    const started = Date.now();
    const dispatch = this.dispatchFor(req, url, body);
    if (!dispatch) return false;
    const { provider, operationName, binding } = dispatch;
    const requestId = crypto.randomUUID();
    let where = '';
    res.on('finish', () => {
      if (this.deps.logRequests) console.error(`[local-cloud] ${provider.name}.${operationName} ${where} ${res.statusCode} ${Date.now() - started}ms`);
    });
    try {
      const signing = signingScope(req.headers);
      let identity: { caller: Caller; region: string };
      try {
        identity = await this.deps.identities.resolve(signing);
      } catch (err) {
        if (!(err instanceof CredentialError)) throw err;
        throw credentialError(err, binding.protocol, provider.name);
      }
      const { caller, region } = identity;
      where = `${caller.account}/${region}`;
      const ctx: RequestContext = {
        requestId,
        service: provider.name,
        operation: operationName,
        account: caller.account,
        region,
        caller,
        scope: await this.deps.scopes.region(caller.account, region),
        raw: { headers: req.headers, body },
      };
      const operation: Operation | undefined = provider.operations[operationName];
      if (!operation) {
        throw new AwsError(binding.protocol === 'query' ? 'InvalidAction' : 'UnknownOperationException', `The local cloud does not implement ${provider.name}:${operationName}.`);
      }
      this.deps.calls.record(provider.name, operationName);
      await this.deps.faults.before(provider.name, operationName, caller.account, region);
      const input = dispatch.input();
      if (!operation.open) await this.authorize(provider, operationName, operation, input, ctx);
      const output = await operation.run(input, ctx);
      this.send(res, dispatch, output, requestId);
    } catch (err) {
      this.sendError(res, dispatch, internalError(err, provider.name), requestId);
    }
    return true;
  }

  private async authorize(provider: ServiceProvider, operationName: string, operation: Operation, input: Record<string, unknown>, ctx: RequestContext): Promise<void> {
    const resources = (await operation.resources?.(input, ctx)) ?? [{ arn: '*', account: ctx.account }];
    const decision = await this.deps.authorizer.authorize({
      caller: ctx.caller,
      action: operation.action ?? `${provider.name}:${operationName}`,
      resources,
      region: ctx.region,
      extraContext: operation.conditionKeys?.(input, ctx),
    });
    if (!decision.allowed) throw new AwsError(provider.accessDenied.code, decision.message, provider.accessDenied.status);
  }

  private dispatchFor(req: IncomingMessage, url: URL, body: Buffer): Dispatch | undefined {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      const dot = target.indexOf('.');
      const found = this.jsonTargets.get(target.slice(0, dot));
      if (!found) return this.unknownTarget(target);
      return { ...found, operationName: target.slice(dot + 1), input: () => parseJsonBody(body) };
    }
    const route = this.router.find(req.method as 'GET', url.pathname);
    if (route) {
      const { provider, binding, route: spec } = route.store as { provider: ServiceProvider; binding: ProtocolBinding; route: RestRoute };
      return { provider, binding, route: spec, operationName: spec.operation, input: () => restInput(spec, route.params, url.searchParams, req, body) };
    }
    const form = req.method === 'POST' && /(^|&)Action=/.test(body.toString('utf8')) ? body.toString('utf8') : url.searchParams.has('Action') ? url.search.slice(1) : undefined;
    if (form !== undefined) {
      const { action, input } = parseQueryParameters(form);
      const signingName = signingScope(req.headers)?.service;
      const found = (signingName && this.querySigning.get(signingName)) || (action ? this.queryActions.get(action) : undefined) || this.querySigning.get('sts');
      if (!found) return undefined;
      return { ...found, operationName: action ?? '(no Action)', input: () => input };
    }
    return undefined;
  }

  /** An X-Amz-Target no provider serves: answered in the JSON protocol's error shape. */
  private unknownTarget(target: string): Dispatch {
    const provider: ServiceProvider = { name: 'unknown', bindings: [], operations: {}, accessDenied: { code: 'AccessDeniedException', status: 400 } };
    return {
      provider,
      operationName: target,
      binding: { protocol: 'json', targetPrefix: '', contentType: 'application/x-amz-json-1.1' },
      input: () => {
        throw new AwsError('UnknownOperationException', `The local cloud does not serve ${target}.`);
      },
    };
  }

  private send(res: ServerResponse, dispatch: Dispatch, output: unknown, requestId: string): void {
    if (output instanceof RawResponse) {
      const payload = typeof output.body === 'string' ? Buffer.from(output.body) : output.body;
      res.writeHead(output.status, { 'x-amzn-requestid': requestId, ...output.headers, 'content-length': String(payload.length) });
      res.end(payload);
      return;
    }
    const binding = dispatch.binding;
    if (binding.protocol === 'json') {
      const payload = JSON.stringify(output ?? {});
      res.writeHead(200, { 'content-type': binding.contentType, 'content-length': Buffer.byteLength(payload), 'x-amzn-requestid': requestId });
      res.end(payload);
    } else if (binding.protocol === 'query') {
      sendQueryResult(res, dispatch.operationName, binding.xmlns, output, requestId);
    } else if (output instanceof StatusResponse) {
      sendRestJson(res, output.status, output.body, {}, requestId);
    } else {
      sendRestJson(res, dispatch.route?.status ?? 200, output ?? {}, {}, requestId);
    }
  }

  private sendError(res: ServerResponse, dispatch: Dispatch, err: AwsError, requestId: string): void {
    if (res.headersSent) return void res.destroy();
    const binding = dispatch.binding;
    if (binding.protocol === 'json') sendJsonError(res, err, binding.contentType, requestId);
    else if (binding.protocol === 'query') sendQueryError(res, err, binding.xmlns, requestId);
    else sendRestJsonError(res, err, requestId);
  }
}

/** The input of a REST-JSON operation: path parameters, mapped query parameters and headers, and the body. */
function restInput(route: RestRoute, params: Record<string, string | undefined>, query: URLSearchParams, req: IncomingMessage, body: Buffer): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (route.body === 'json') Object.assign(input, parseJsonBody(body));
  else if (route.body) input[route.body.raw] = body;
  for (const [name, value] of Object.entries(params)) if (value !== undefined) input[name] = decodeURIComponent(value);
  for (const [name, member] of Object.entries(route.query ?? {})) {
    const value = query.get(name);
    if (value !== null) input[member] = value;
  }
  for (const [name, member] of Object.entries(route.headers ?? {})) {
    const value = req.headers[name];
    if (typeof value === 'string') input[member] = value;
  }
  return input;
}

/** How each protocol's services refuse credentials they do not know (or that expired). */
function credentialError(err: CredentialError, protocol: ProtocolBinding['protocol'], service: string): AwsError {
  if (protocol === 'query') return err.reason === 'invalid' ? new AwsError('InvalidClientTokenId', err.message, 403) : new AwsError('ExpiredToken', err.message, 400);
  const status = service === 'lambda' ? 403 : 400;
  return err.reason === 'invalid' ? new AwsError('UnrecognizedClientException', err.message, status) : new AwsError('ExpiredTokenException', err.message, status);
}

