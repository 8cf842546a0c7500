import type { ServerResponse } from 'node:http';
import { AwsError } from '../errors.ts';

/** AWS query protocol (STS): form-encoded requests, XML responses. */
export function sendXml(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

export function sendQueryError(res: ServerResponse, err: AwsError, xmlns: string): void {
  const requestId = crypto.randomUUID();
  sendXml(
    res,
    err.status,
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>${err.fault === 'User' ? 'Sender' : 'Receiver'}</Type>` +
      `<Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);
}
