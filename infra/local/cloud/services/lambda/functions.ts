import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AwsError } from '../../errors.ts';
import type { ServiceContext } from '../../context.ts';
import { allowsServiceInvoke, type InvokingService, type PolicyStatement } from './permissions.ts';

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

/** A function compiled into the local cloud's process (the fleet rotator). */
export interface BuiltinFunction {
  name: string;
  handler: LambdaHandler;
  timeoutSeconds?: number;
  /** The resource policy the function's stack deploys with it, applied when it is first registered. */
  defaultStatements?: (functionArn: string, identity: { account: string }) => PolicyStatement[];
}

/**
 * Where a function's code runs: in this process (`builtin`), in a module this process imports,
 * or behind an HTTP endpoint that receives the event as a POST (a test double in another process).
 */
export type FunctionSource = { kind: 'builtin' } | { kind: 'module'; path: string; exportName: string } | { kind: 'url'; url: string };

export interface FunctionRecord {
  name: string;
  arn: string;
  source: FunctionSource;
  timeoutSeconds: number;
  statements: PolicyStatement[];
  revisionId: string;
  lastModified: number;
}

export interface InvokeResult {
  payload: unknown;
  /** Set when the function threw: Lambda still answers 200 and flags the error in a header. */
  functionError?: 'Unhandled';
}

const FUNCTION_ARN = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::(\$LATEST|[A-Za-z0-9_-]+))?$/;
const PARTIAL_ARN = /^(\d{12}):function:([A-Za-z0-9_-]+)$/;

export class LambdaFunctions {
  private readonly builtins = new Map<string, BuiltinFunction>();
  private readonly modules = new Map<string, LambdaHandler>();

  constructor(private readonly ctx: ServiceContext) {}

  arnOf(name: string): string {
    return `arn:aws:lambda:${this.ctx.region}:${this.ctx.account}:function:${name}`;
  }

  registerBuiltin(fn: BuiltinFunction): FunctionRecord {
    this.builtins.set(fn.name, fn);
    const existing = this.find(fn.name);
    if (existing) {
      existing.source = { kind: 'builtin' };
      existing.timeoutSeconds = fn.timeoutSeconds ?? existing.timeoutSeconds;
      return existing;
    }
    const arn = this.arnOf(fn.name);
    return this.put(fn.name, { kind: 'builtin' }, fn.timeoutSeconds ?? 30, fn.defaultStatements?.(arn, this.ctx) ?? []);
  }

  /** Registers (or re-points) a function whose code is a module or an HTTP endpoint; keeps its policy. */
  register(name: string, source: FunctionSource, timeoutSeconds = 30): FunctionRecord {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new AwsError('InvalidParameterValueException', `Function name "${name}" is invalid.`);
    const existing = this.find(name);
    if (existing) {
      existing.source = source;
      existing.timeoutSeconds = timeoutSeconds;
      existing.lastModified = this.ctx.clock.now();
      this.modules.delete(name);
      return existing;
    }
    return this.put(name, source, timeoutSeconds, []);
  }

  unregister(name: string): boolean {
    const before = this.ctx.state.functions.length;
    this.ctx.state.functions = this.ctx.state.functions.filter((f) => f.name !== name);
    this.modules.delete(name);
    return this.ctx.state.functions.length < before;
  }

  private put(name: string, source: FunctionSource, timeoutSeconds: number, statements: PolicyStatement[]): FunctionRecord {
    const record: FunctionRecord = {
      name,
      arn: this.arnOf(name),
      source,
      timeoutSeconds,
      statements,
      revisionId: randomUUID(),
      lastModified: this.ctx.clock.now(),
    };
    this.ctx.state.functions.push(record);
    return record;
  }

  /** Accepts a name, a full ARN (optionally qualified) or a partial ARN, as Lambda does. */
  find(nameOrArn: string): FunctionRecord | undefined {
    let name = nameOrArn;
    const full = FUNCTION_ARN.exec(nameOrArn);
    if (full) {
      if (full[1] !== this.ctx.region || full[2] !== this.ctx.account) return undefined;
      name = full[3]!;
    } else {
      const partial = PARTIAL_ARN.exec(nameOrArn);
      if (partial) {
        if (partial[1] !== this.ctx.account) return undefined;
        name = partial[2]!;
      }
    }
    return this.ctx.state.functions.find((f) => f.name === name);
  }

  require(nameOrArn: string): FunctionRecord {
    const record = this.find(nameOrArn);
    if (!record) {
      throw new AwsError('ResourceNotFoundException', `Function not found: ${nameOrArn.startsWith('arn:') ? nameOrArn : this.arnOf(nameOrArn)}`, 404);
    }
    return record;
  }

  /** Whether `caller` may invoke the function under its resource policy (as Secrets Manager checks before rotating). */
  canServiceInvoke(nameOrArn: string, caller: InvokingService): boolean {
    const record = this.find(nameOrArn);
    return record !== undefined && allowsServiceInvoke(record.statements, caller);
  }

  async invoke(nameOrArn: string, event: unknown): Promise<InvokeResult> {
    const record = this.require(nameOrArn);
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

  private async run(record: FunctionRecord, event: unknown, context: LambdaContext): Promise<unknown> {
    const source = record.source;
    switch (source.kind) {
      case 'builtin': {
        const builtin = this.builtins.get(record.name);
        if (!builtin) throw Object.assign(new Error(`function ${record.name} is not loaded in this local cloud`), { name: 'Runtime.ImportModuleError' });
        return builtin.handler(event, context);
      }
      case 'module': {
        let handler = this.modules.get(record.name);
        if (!handler) {
          const loaded = (await import(pathToFileURL(resolve(source.path)).href)) as Record<string, unknown>;
          const candidate = loaded[source.exportName];
          if (typeof candidate !== 'function') {
            throw Object.assign(new Error(`${source.path} has no function export "${source.exportName}"`), { name: 'Runtime.HandlerNotFound' });
          }
          handler = candidate as LambdaHandler;
          this.modules.set(record.name, handler);
        }
        return handler(event, context);
      }
      case 'url': {
        const response = await fetch(source.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-amz-function-name': record.name, 'lambda-runtime-aws-request-id': context.awsRequestId },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(record.timeoutSeconds * 1000),
        });
        const text = await response.text();
        const body = text ? (JSON.parse(text) as unknown) : null;
        if (!response.ok) {
          const { errorType, errorMessage } = (body ?? {}) as { errorType?: string; errorMessage?: string };
          throw Object.assign(new Error(errorMessage ?? `function endpoint answered ${response.status}`), { name: errorType ?? 'Error' });
        }
        return body;
      }
    }
  }
}
