import { StateFailure } from './error-handling.ts';

/** Lambda's invoke, as the cloud's Lambda service provides it: a function error comes back as a payload, not a throw. */
export type Invoke = (functionArn: string, payload: unknown) => Promise<{ payload: unknown; functionError?: string }>;

/**
 * What a Task state's Resource asks for. A bare function ARN is what CDK renders for LambdaInvoke
 * with payloadResponseOnly (the "legacy" Lambda task); `arn:aws:states:::lambda:invoke` is the
 * optimised integration, `.waitForTaskToken` its callback pattern.
 */
export type TaskResource =
  | { kind: 'function'; functionArn: string }
  | { kind: 'invoke'; callback: boolean }
  | { kind: 'unsupported'; resourceType: string; resource: string };

const FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9_$-]+)?$/;
const INTEGRATION = /^arn:aws[\w-]*:states:::([a-z0-9-]+):(.+)$/;

export function classifyResource(resource: string): TaskResource {
  if (FUNCTION_ARN.test(resource)) return { kind: 'function', functionArn: resource };
  const integration = INTEGRATION.exec(resource);
  if (integration?.[1] === 'lambda' && (integration[2] === 'invoke' || integration[2] === 'invoke.waitForTaskToken')) {
    return { kind: 'invoke', callback: integration[2] === 'invoke.waitForTaskToken' };
  }
  return integration
    ? { kind: 'unsupported', resourceType: integration[1]!, resource: integration[2]! }
    : { kind: 'unsupported', resourceType: 'unknown', resource };
}

/** How history names a task's resource (`resourceType`/`resource` in Task* events). */
export function resourceLabel(resource: TaskResource): { resourceType: string; resource: string } {
  switch (resource.kind) {
    case 'function':
      return { resourceType: 'lambda', resource: resource.functionArn };
    case 'invoke':
      return { resourceType: 'lambda', resource: resource.callback ? 'invoke.waitForTaskToken' : 'invoke' };
    case 'unsupported':
      return { resourceType: resource.resourceType, resource: resource.resource };
  }
}

/** FunctionName as Lambda accepts it (name, name:qualifier, partial or full ARN), made a full ARN. */
export function functionArnOf(functionName: unknown, identity: { region: string; account: string }): string {
  if (typeof functionName !== 'string' || functionName === '') {
    throw new StateFailure('Lambda.InvalidParameterValueException', 'The lambda:invoke Parameters need a FunctionName.');
  }
  if (FUNCTION_ARN.test(functionName)) return functionName;
  const partial = /^(\d{12}):function:([A-Za-z0-9_-]+(?::[A-Za-z0-9_$-]+)?)$/.exec(functionName);
  if (partial) return `arn:aws:lambda:${identity.region}:${partial[1]}:function:${partial[2]}`;
  if (/^[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]+)?$/.test(functionName)) return `arn:aws:lambda:${identity.region}:${identity.account}:function:${functionName}`;
  throw new StateFailure('Lambda.InvalidParameterValueException', `FunctionName ${functionName} is not a function name or ARN.`);
}

/**
 * A function error as Step Functions reports it: the error is the function's `errorType`, the
 * cause the JSON Lambda returned ({"errorType","errorMessage","trace"}), which callers parse.
 */
export function functionFailure(payload: unknown): StateFailure {
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const body = payload as { errorType?: unknown };
    const error = typeof body.errorType === 'string' && body.errorType !== '' ? body.errorType : 'Lambda.Unknown';
    return new StateFailure(error, JSON.stringify(payload));
  }
  return new StateFailure('Lambda.Unknown', typeof payload === 'string' ? payload : JSON.stringify(payload ?? null));
}

/** The invoke call itself failed (no such function, throttled): Step Functions names it `Lambda.<code>`. */
export function invokeFailure(err: unknown): StateFailure {
  if (err instanceof StateFailure) return err;
  const error = err as Error & { code?: unknown };
  const code = typeof error.code === 'string' ? error.code : error.name && error.name !== 'Error' ? error.name : 'ServiceException';
  return new StateFailure(code.startsWith('Lambda.') ? code : `Lambda.${code}`, error.message ?? String(err));
}
