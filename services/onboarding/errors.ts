/**
 * Errors a step throws, by name: the workflow's Retry and Catch match on `Error`, which Step
 * Functions takes from the error's name. Messages say what to fix and never carry secret values.
 */
export const RETRYABLE = ['Throttled', 'TransientError', 'RotationInProgress'] as const;

export class OnboardingError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export const failed = (name: string, message: string) => new OnboardingError(name, message);

/** Maps an AWS SDK error to a retryable name when AWS says to retry, keeping the message. */
export function fromAws(err: unknown, doing: string): Error {
  const e = err as Error & { $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e instanceof OnboardingError) return e;
  if (e?.name === 'ThrottlingException' || e?.name === 'TooManyRequestsException' || e?.name === 'LimitExceededException') return failed('Throttled', `${doing}: ${e.message}`);
  if (e?.$retryable || (e?.$metadata?.httpStatusCode ?? 0) >= 500) return failed('TransientError', `${doing}: ${e.name}: ${e.message}`);
  return failed(e?.name ?? 'Error', `${doing}: ${e?.message ?? String(err)}`);
}
