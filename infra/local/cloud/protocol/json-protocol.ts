import type { ServerResponse } from 'node:http';
import { AwsError } from '../errors.ts';

/** AWS JSON 1.0/1.1 protocol (X-Amz-Target): errors carry `__type` in the body and a header. */
export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.1', requestId: string = crypto.randomUUID()): void {
  const payload = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': requestId,
  });
  res.end(payload);
}

export function sendJsonError(res: ServerResponse, err: AwsError, contentType?: string, requestId?: string): void {
  res.setHeader('x-amzn-errortype', err.code);
  sendJson(res, err.status, { __type: err.code, message: err.message, Message: err.message }, contentType, requestId);
}

/** Parses a JSON request body; an empty body is an empty input, as for operations with no members. */
export function parseJsonBody(raw: Buffer | string): Record<string, unknown> {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
