import type { ServerResponse } from 'node:http';
import { Timestamp } from '../context.ts';
import { AwsError } from '../errors.ts';

/**
 * The AWS query protocol (STS, IAM): form-encoded parameters in, XML out. Lists travel as
 * `Name.member.N` (and `Name.N`), structures as `Name.Member`.
 */
export function parseQueryParameters(form: string): { action: string | undefined; input: Record<string, unknown> } {
  const params = new URLSearchParams(form);
  const input: Record<string, unknown> = {};
  let action: string | undefined;
  for (const [key, value] of params) {
    if (key === 'Action') action = value;
    else if (key !== 'Version') assign(input, key.split('.'), value);
  }
  return { action, input: collapseLists(input) as Record<string, unknown> };
}

function assign(target: Record<string, unknown>, path: string[], value: string): void {
  let node = target;
  path.forEach((segment, i) => {
    if (i === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    node = (next && typeof next === 'object' ? next : (node[segment] = {})) as Record<string, unknown>;
  });
}

/** `{member: {1: a, 2: b}}` and `{1: a, 2: b}` become `[a, b]`. */
function collapseLists(node: unknown): unknown {
  if (!node || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  const source = keys.length === 1 && keys[0] === 'member' && record.member && typeof record.member === 'object' ? (record.member as Record<string, unknown>) : record;
  const sourceKeys = Object.keys(source);
  if (sourceKeys.length > 0 && sourceKeys.every((k) => /^\d+$/.test(k))) {
    return sourceKeys.sort((a, b) => Number(a) - Number(b)).map((k) => collapseLists(source[k]));
  }
  return Object.fromEntries(keys.map((k) => [k, collapseLists(record[k])]));
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);
}

/** Renders a value as query-protocol XML: lists as `<member>` elements, dates as ISO 8601. */
export function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((item) => toXml('member', item)).join('')}</${name}>`;
  if (value instanceof Date || value instanceof Timestamp) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value).map(([k, v]) => toXml(k, v)).join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function sendXml(res: ServerResponse, status: number, xml: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml), 'x-amzn-requestid': requestId });
  res.end(xml);
}

export function sendQueryResult(res: ServerResponse, operation: string, xmlns: string, output: unknown, requestId: string): void {
  const fields = output && typeof output === 'object' ? Object.entries(output).map(([k, v]) => toXml(k, v)).join('') : '';
  const result = fields ? `<${operation}Result>${fields}</${operation}Result>` : '';
  sendXml(
    res,
    200,
    `<${operation}Response xmlns="${xmlns}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
    requestId,
  );
}

export function sendQueryError(res: ServerResponse, err: AwsError, xmlns: string, requestId: string): void {
  sendXml(
    res,
    err.status,
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>${err.fault === 'User' ? 'Sender' : 'Receiver'}</Type>` +
      `<Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    requestId,
  );
}
