import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Authorizer } from '../../auth/authorizer.ts';
import { evaluate } from '../../auth/policy-evaluation.ts';
import { serviceCaller, type Caller } from '../../auth/principals.ts';
import type { Clock } from '../../clock.ts';
import { AwsError } from '../../errors.ts';
import type { Scopes } from '../../scopes.ts';
import type { RoleAssumer } from '../sts/assume-role.ts';
import { FunctionRegistry, type FunctionRecord, type FunctionSource } from './function-registry.ts';
import { evaluable, type PolicyStatement } from './permissions.ts';

export { FunctionRegistry, type FunctionRecord, type FunctionSource } from './function-registry.ts';

/** The subset of the Lambda runtime's context object that handlers (and Powertools) read. */
export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** A function whose code runs inside the local cloud's process (the fleet rotator, test functions). */
export interface BuiltinFunction {
  name: string;
  /** Default: the cloud's default account and region. */
  account?: string;
  region?: string;
  /** Default 30, as the product's Lambdas. */
  timeoutSeconds?: number;
  /** Execution role ARN; it must exist in IAM and trust lambda.amazonaws.com for the function to get its session. */
  role?: string;
  environment?: Record<string, string>;
  /**
   * Called once, at the first invocation, with the environment Lambda gives a function:
   * `environment` plus AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCOUNT_ID, AWS_ENDPOINT_URL (this
   * cloud's URL), AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_TIMEOUT and credentials: a session
   * of `role` when given (so IAM applies), else the account's root keys (the 12-digit key id).
   */
  create(env: Record<string, string>): LambdaHandler | Promise<LambdaHandler>;
  /** The resource policy the function's stack deploys with it, applied when it is first registered. */
  defaultStatements?: (functionArn: string, identity: { account: string }) => PolicyStatement[];
}

export interface InvokeResult {
  payload: unknown;
  /** Set when the function threw: Lambda still answers 200 and flags the error in a header. */
  functionError?: 'Unhandled';
}

const FUNCTION_ARN = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::(\$LATEST|[A-Za-z0-9_-]+))?$/;
const PARTIAL_ARN = /^(\d{12}):function:([A-Za-z0-9_-]+)$/;
const LAMBDA_PRINCIPAL = 'lambda.amazonaws.com';
/** Credentials handed to a function are renewed (its handler created again) this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60_000;

interface LoadedHandler {
  handler: LambdaHandler;
  /** When the credentials in its environment expire (undefined: root keys, which do not). */
  expiresAt?: number;
}

export interface LambdaRuntimeDeps {
  scopes: Scopes;
  clock: Clock;
  defaults: { account: string; region: string };
  authorizer: Authorizer;
  assumer: RoleAssumer;
  /** The cloud's URL, known once it listens. */
  url(): string;
}

/**
 * Lambda for the whole cloud: finds a function from a name (in the caller's account-region) or an
 * ARN (in any), decides whether a service may invoke it by its resource policy, and runs it with
 * Lambda's environment, context and deadline.
 */
export class LambdaRuntime {
  private readonly builtins = new Map<string, BuiltinFunction>();
  private readonly loaded = new Map<string, Promise<LoadedHandler>>();
  /** Invocations of a built-in function whose code this process has not been given yet, by ARN. */
  private readonly awaitingCode = new Map<string, Set<(fn: BuiltinFunction) => void>>();

  constructor(private readonly deps: LambdaRuntimeDeps) {}

  async registerBuiltin(fn: BuiltinFunction): Promise<FunctionRecord> {
    const scope = await this.deps.scopes.region(fn.account ?? this.deps.defaults.account, fn.region ?? this.deps.defaults.region);
    const registry = FunctionRegistry.of(scope);
    const arn = registry.arnOf(fn.name);
    this.builtins.set(arn, fn);
    this.loaded.delete(arn);
    for (const wake of this.awaitingCode.get(arn) ?? []) wake(fn);
    this.awaitingCode.delete(arn);
    const record = registry.upsert(
      fn.name,
      { source: { kind: 'builtin' }, timeoutSeconds: fn.timeoutSeconds ?? 30, role: fn.role, environment: fn.environment },
      this.deps.clock.now(),
      () => fn.defaultStatements?.(arn, { account: scope.account }) ?? [],
    );
    await registry.commit();
    return record;
  }

  /** Registers (or re-points) a function whose code is a module or an HTTP endpoint; keeps its policy. */
  async register(
    where: { account: string; region: string },
    name: string,
    source: Exclude<FunctionSource, { kind: 'builtin' }>,
    options: { timeoutSeconds?: number; role?: string; environment?: Record<string, string> } = {},
  ): Promise<FunctionRecord> {
    const registry = FunctionRegistry.of(await this.deps.scopes.region(where.account, where.region));
    const record = registry.upsert(name, { source, timeoutSeconds: options.timeoutSeconds ?? 30, role: options.role, environment: options.environment }, this.deps.clock.now());
    this.loaded.delete(record.arn);
    this.builtins.delete(record.arn);
    await registry.commit();
    return record;
  }

  async unregister(where: { account: string; region: string }, name: string): Promise<boolean> {
    const registry = FunctionRegistry.of(await this.deps.scopes.region(where.account, where.region));
    const arn = registry.arnOf(name);
    this.loaded.delete(arn);
    this.builtins.delete(arn);
    const removed = registry.remove(name);
    await registry.commit();
    return removed;
  }

  /** Accepts a name (in `home`), a full ARN (optionally qualified) or a partial ARN, as Lambda does. */
  locate(nameOrArn: string, home: { account: string; region: string }): { registry: FunctionRegistry; name: string } | undefined {
    let where = home;
    let name = nameOrArn;
    const full = FUNCTION_ARN.exec(nameOrArn);
    const partial = PARTIAL_ARN.exec(nameOrArn);
    if (full) {
      where = { account: full[2]!, region: full[1]! };
      name = full[3]!;
    } else if (partial) {
      where = { account: partial[1]!, region: home.region };
      name = partial[2]!;
    }
    const scope = this.deps.scopes.openRegion(where.account, where.region);
    return scope ? { registry: FunctionRegistry.of(scope), name } : undefined;
  }

  find(nameOrArn: string, home: { account: string; region: string }): FunctionRecord | undefined {
    const located = this.locate(nameOrArn, home);
    return located?.registry.get(located.name);
  }

  require(nameOrArn: string, home: { account: string; region: string }): FunctionRecord {
    const record = this.find(nameOrArn, home);
    if (!record) {
      const arn = nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:lambda:${home.region}:${home.account}:function:${nameOrArn}`;
      throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
    }
    return record;
  }

  /** Whether a service (Secrets Manager for an account) may invoke the function under its resource policy. */
  canInvoke(nameOrArn: string, caller: Caller, home: { account: string; region: string }): boolean {
    const record = this.find(nameOrArn, home);
    if (!record) return false;
    const context = this.deps.authorizer.context(caller, home.region);
    return evaluate(evaluable(record.statements), { action: 'lambda:InvokeFunction', resource: record.arn, caller, context }, true) === 'Allow';
  }

  /** Runs the function (a name resolves in `home`, an ARN anywhere) with Lambda's context and deadline. */
  async invoke(nameOrArn: string, event: unknown, home: { account: string; region: string }): Promise<InvokeResult> {
    const record = this.require(nameOrArn, home);
    const requestId = randomUUID();
    const deadline = Date.now() + record.timeoutSeconds * 1000;
    const context: LambdaContext = {
      functionName: record.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: record.arn,
      memoryLimitInMB: '512',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${record.name}`,
      logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`Task timed out after ${record.timeoutSeconds.toFixed(2)} seconds`), { name: 'Sandbox.Timedout' })),
        record.timeoutSeconds * 1000,
      );
    });
    try {
      const payload = await Promise.race([this.run(record, event, context), timeout]);
      return { payload: payload ?? null };
    } catch (err) {
      const error = err as Error;
      // The shape the Node.js runtime reports for an unhandled error. Only the name and message
      // travel: a stack can quote the line that failed, and a rotation function's lines hold secrets.
      return {
        payload: { errorType: error.name || 'Error', errorMessage: error.message ?? String(err), trace: [] },
        functionError: 'Unhandled',
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The environment Lambda gives the function, with credentials of its role (or its account's root). */
  private async environment(record: FunctionRecord): Promise<{ env: Record<string, string>; expiresAt?: number }> {
    const [, , , region, account] = record.arn.split(':') as [string, string, string, string, string];
    const env: Record<string, string> = {
      ...record.environment,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCOUNT_ID: account,
      AWS_ENDPOINT_URL: this.deps.url(),
      AWS_LAMBDA_FUNCTION_NAME: record.name,
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(record.timeoutSeconds),
    };
    if (!record.role) return { env: { ...env, AWS_ACCESS_KEY_ID: account, AWS_SECRET_ACCESS_KEY: 'local' } };
    let session;
    try {
      session = await this.deps.assumer.assume({
        caller: serviceCaller(LAMBDA_PRINCIPAL, account, record.arn),
        roleArn: record.role,
        sessionName: record.name.slice(0, 64).padEnd(2, '_'),
        region,
      });
    } catch {
      throw Object.assign(new Error(`The role defined for the function cannot be assumed by Lambda: ${record.role}`), { name: 'InvalidParameterValueException' });
    }
    return {
      env: { ...env, AWS_ACCESS_KEY_ID: session.accessKeyId, AWS_SECRET_ACCESS_KEY: session.secretAccessKey, AWS_SESSION_TOKEN: session.sessionToken },
      expiresAt: session.expiresAt,
    };
  }

  private load(record: FunctionRecord): Promise<LoadedHandler> {
    const cached = this.loaded.get(record.arn);
    if (cached) return cached;
    const loading = (async (): Promise<LoadedHandler> => {
      const source = record.source;
      if (source.kind === 'builtin') {
        const builtin = this.builtins.get(record.arn) ?? (await this.codeOf(record));
        const { env, expiresAt } = await this.environment(record);
        return { handler: await builtin.create(env), expiresAt };
      }
      if (source.kind === 'module') {
        const loaded = (await import(pathToFileURL(resolve(source.path)).href)) as Record<string, unknown>;
        const candidate = loaded[source.exportName];
        if (typeof candidate !== 'function') throw Object.assign(new Error(`${source.path} has no function export "${source.exportName}"`), { name: 'Runtime.HandlerNotFound' });
        return { handler: candidate as LambdaHandler };
      }
      const { env, expiresAt } = await this.environment(record);
      return { handler: (event, context) => this.post(record, source.url, env, event, context), expiresAt };
    })();
    this.loaded.set(record.arn, loading);
    // A failed load is tried again at the next invocation.
    loading.catch(() => this.loaded.delete(record.arn));
    return loading;
  }

  /**
   * The code of a built-in function that exists (its record survived a restart) but that this
   * process has not registered again yet: an execution or a delivery resumed at start may invoke it
   * a moment before the embedder registers it. Waited for like a slow cold start, within the
   * function's timeout.
   */
  private codeOf(record: FunctionRecord): Promise<BuiltinFunction> {
    return new Promise((resolve, reject) => {
      const waiting = this.awaitingCode.get(record.arn) ?? new Set();
      this.awaitingCode.set(record.arn, waiting);
      const timer = setTimeout(() => {
        waiting.delete(wake);
        reject(Object.assign(new Error(`function ${record.name} is not loaded in this local cloud: its code was not registered within its timeout`), { name: 'Runtime.ImportModuleError' }));
      }, Math.max(0, record.timeoutSeconds * 1000 - 100));
      timer.unref();
      const wake = (fn: BuiltinFunction) => {
        clearTimeout(timer);
        resolve(fn);
      };
      waiting.add(wake);
    });
  }

  private async run(record: FunctionRecord, event: unknown, context: LambdaContext): Promise<unknown> {
    let loaded = await this.load(record);
    if (loaded.expiresAt !== undefined && loaded.expiresAt - RENEW_BEFORE_MS < Date.now()) {
      this.loaded.delete(record.arn);
      loaded = await this.load(record);
    }
    return loaded.handler(event, context);
  }

  private async post(record: FunctionRecord, url: string, env: Record<string, string>, event: unknown, context: LambdaContext): Promise<unknown> {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amz-function-name': record.name,
        'lambda-runtime-aws-request-id': context.awsRequestId,
        'lambda-runtime-deadline-ms': String(Date.now() + context.getRemainingTimeInMillis()),
        'x-local-cloud-function-env': Buffer.from(JSON.stringify(env)).toString('base64'),
      },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(record.timeoutSeconds * 1000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? (JSON.parse(text) as unknown) : null;
    } catch {
      throw Object.assign(new Error(`function endpoint answered ${response.status} with a body that is not JSON`), { name: 'Runtime.InvalidResponse' });
    }
    if (!response.ok) {
      const { errorType, errorMessage } = (body ?? {}) as { errorType?: string; errorMessage?: string };
      throw Object.assign(new Error(errorMessage ?? `function endpoint answered ${response.status}`), { name: errorType ?? 'Error' });
    }
    return body;
  }
}
