/**
 * Why a rotation step failed, as a closed list: each names a real cause an operator can act on.
 * Messages built from these never contain a secret value; the driver's own text is passed
 * through `redact` first when it is included at all.
 */
export const ERROR_CLASSES = [
  'InvalidSecret',
  'ProtocolViolation',
  'GuardRefused',
  'HostUnreachable',
  'ConnectionTimeout',
  'AuthenticationFailed',
  'TlsRefused',
  'TlsVerificationFailed',
  'PermissionDenied',
  'UnsupportedStrategy',
  'ServiceError',
  'AwsError',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export class RotationError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
  ) {
    super(message);
    this.name = errorClass;
  }
}

/** Replaces every occurrence of the given secret strings in `text`. */
export function redact(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('[redacted]');
  }
  return out;
}
