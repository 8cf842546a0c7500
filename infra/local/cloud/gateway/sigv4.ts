import type { IncomingHttpHeaders } from 'node:http';

/**
 * What a SigV4 `Authorization` header says about the caller: the access key id and the scope it
 * was signed for (`Credential=AKID/date/region/service/aws4_request`). Signatures are not checked:
 * the local cloud trusts its callers' keys, as LocalStack does.
 */
export interface SigningScope {
  accessKeyId: string;
  region: string;
  service: string;
  sessionToken?: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

export function signingScope(headers: IncomingHttpHeaders): SigningScope | undefined {
  const authorization = headers.authorization;
  if (typeof authorization !== 'string' || !authorization.startsWith('AWS4-')) return undefined;
  const match = CREDENTIAL.exec(authorization);
  if (!match) return undefined;
  const token = headers['x-amz-security-token'];
  return {
    accessKeyId: match[1]!,
    region: match[3]!,
    service: match[4]!,
    sessionToken: typeof token === 'string' ? token : undefined,
  };
}
