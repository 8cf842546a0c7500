/**
 * Secrets Manager's refusal of RotateSecret while a version still carries AWSPENDING ("A previous
 * rotation isn't complete. That rotation will be reattempted."): an InvalidRequestException that
 * only its message tells apart.
 */
export function isPreviousRotationIncomplete(err: unknown): boolean {
  return (err as Error)?.name === 'InvalidRequestException' && /previous rotation isn.t complete/i.test((err as Error).message ?? '');
}
