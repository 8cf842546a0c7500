import { RotationError, redact, type ErrorClass } from '../../../shared/errors/rotation-error.ts';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE']);
const TIMEOUT = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ABORT_ERR']);
const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Error codes and names a driver may put on an error, its cause, or an AggregateError's parts. */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 4) return;
    const { code, name, errno, cause, errors } = e as { code?: unknown; name?: unknown; errno?: unknown; cause?: unknown; errors?: unknown };
    for (const value of [code, name, errno]) if (typeof value === 'string' || typeof value === 'number') codes.push(String(value));
    visit(cause, depth + 1);
    if (Array.isArray(errors)) errors.forEach((inner) => visit(inner, depth + 1));
  };
  visit(err, 0);
  return codes;
}

/**
 * Turns a network-level failure into its cause (unreachable, timed out, untrusted TLS). Returns
 * undefined when the error is something else, for the plugin to classify.
 */
export function networkFailure(err: unknown, where: string): RotationError | undefined {
  const codes = errorCodes(err);
  const has = (set: Set<string>) => codes.some((c) => set.has(c));
  if (err instanceof RotationError) return err;
  if (has(TLS_UNTRUSTED)) return new RotationError('TlsVerificationFailed', `${where}: the server's TLS certificate is not trusted (${codes.find((c) => TLS_UNTRUSTED.has(c))}); add its CA (NODE_EXTRA_CA_CERTS) or set "ssl": false to forbid TLS`);
  if (has(TIMEOUT) || /timed? ?out|timeout/i.test((err as Error)?.message ?? '')) return new RotationError('ConnectionTimeout', `${where}: no answer within the connection timeout`);
  if (has(UNREACHABLE)) return new RotationError('HostUnreachable', `${where}: host unreachable (${codes.find((c) => UNREACHABLE.has(c))})`);
  return undefined;
}

export function failure(errorClass: ErrorClass, where: string, detail: string): RotationError {
  return new RotationError(errorClass, `${where}: ${detail}`);
}

/** Last resort: the driver's message, with the credential's secrets cut out. */
export function serviceError(err: unknown, where: string, secrets: Array<string | undefined>): RotationError {
  const message = err instanceof Error ? err.message : String(err);
  return new RotationError('ServiceError', `${where}: ${redact(message, secrets).slice(0, 300)}`);
}

/** "host:port" for messages: where the failure happened, never with credentials. */
export const endpoint = (host: string, port: number) => `${host}:${port}`;
