import { isRoleRefused } from '../../shared/aws/errors.ts';

/**
 * Errors a step throws, by name: the workflow's Retry and Catch match on `Error`, which Step
 * Functions takes from the error's name. Messages say what to fix and never carry secret values.
 * `Throttled` and `TransientError` are retried by every Task (infra/aws/lib/onboarding-workflow.ts),
 * `RotationInProgress` by ConfigureRotation; any other name ends the onboarding (Compensate).
 */
export class OnboardingError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export const failed = (name: string, message: string) => new OnboardingError(name, message);

/** A cancellation asked for through the API: the workflow stops at the next step and compensates. */
export const cancelled = (actor: string) => failed('OnboardingCancelled', `the onboarding was cancelled by ${actor}`);

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'LimitExceededException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);

/** Whether AWS says to retry: throttled, or a passing fault of the service. */
export function retryKind(err: unknown): 'throttled' | 'transient' | undefined {
  const e = err as Error & { $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (THROTTLING.has(e?.name)) return 'throttled';
  if (e?.$retryable || (e?.$metadata?.httpStatusCode ?? 0) >= 500) return 'transient';
  return undefined;
}

/** Maps an AWS SDK error to the name the workflow retries on, keeping the message. */
export function fromAws(err: unknown, doing: string): Error {
  if (err instanceof OnboardingError) return err;
  const e = err as Error;
  const kind = retryKind(err);
  if (kind === 'throttled') return failed('Throttled', `${doing}: ${e.message}`);
  if (kind === 'transient') return failed('TransientError', `${doing}: ${e.name}: ${e.message}`);
  // STS names the member role and its account; what to fix is in that account.
  if (isRoleRefused(err)) {
    return failed('MemberRoleRefused', `${doing}: ${e.message}: the account is not a member, or its RcpMemberRoles stack is missing or does not trust this control plane (CentralAccountId, ExternalId, OrganizationId)`);
  }
  return failed(e?.name ?? 'Error', `${doing}: ${e?.message ?? String(err)}`);
}
