import { RotationError } from '../../../shared/errors/rotation-error.ts';
import { failure, networkFailure } from './failure.ts';

export interface HttpCall {
  baseUrl: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  username: string;
  password: string;
  body?: unknown;
  timeoutMs: number;
  where: string;
}

/** One JSON call with Basic auth; statuses become causes (401 authentication, 403 permission). */
export async function httpJson<T = unknown>(call: HttpCall): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(call.path, call.baseUrl.endsWith('/') ? call.baseUrl : `${call.baseUrl}/`), {
      method: call.method,
      headers: {
        authorization: `Basic ${Buffer.from(`${call.username}:${call.password}`).toString('base64')}`,
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: AbortSignal.timeout(call.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    throw networkFailure(err, call.where) ?? networkFailure((err as Error).cause, call.where) ?? err;
  }
  const text = await response.text();
  if (response.status === 401) throw failure('AuthenticationFailed', call.where, `authentication failed for user "${call.username}"`);
  if (response.status === 403) throw failure('PermissionDenied', call.where, `user "${call.username}" is not allowed to ${call.method} ${call.path.split('/').slice(0, 3).join('/')}`);
  if (!response.ok) throw new RotationError('ServiceError', `${call.where}: ${call.method} answered ${response.status}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
