import type { ServerResponse } from 'node:http';
import { AwsError } from '../errors.ts';

/** AWS REST-JSON protocol (Lambda): the error code travels in `x-amzn-ErrorType`, the status is meaningful. */
export function sendRestJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, requestId: string = crypto.randomUUID()): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': requestId,
    ...headers,
  });
  res.end(payload);
}

export function sendRestJsonError(res: ServerResponse, err: AwsError, requestId?: string): void {
  sendRestJson(res, err.status, { Type: err.fault, message: err.message }, { 'x-amzn-errortype': err.code }, requestId);
}
