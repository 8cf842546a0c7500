/**
 * Secrets Manager's refusal of RotateSecret while a version still carries AWSPENDING ("A previous
 * rotation isn't complete. That rotation will be reattempted."): an InvalidRequestException that
 * only its message tells apart.
 */
export function isPreviousRotationIncomplete(err: unknown): boolean {
  return (err as Error)?.name === 'InvalidRequestException' && /previous rotation isn.t complete/i.test((err as Error).message ?? '');
}

/**
 * STS refused to let the caller assume a role (its identity policy, or the role's trust policy, or
 * no such role): AWS answers all three alike, as `AccessDenied` naming `sts:AssumeRole`.
 */
export function isRoleRefused(err: unknown): boolean {
  const e = err as Error | undefined;
  return e?.name === 'AccessDenied' && /sts:AssumeRole/.test(e.message ?? '');
}
