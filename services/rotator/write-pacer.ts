import { setTimeout as sleep } from 'node:timers/promises';
import { RotationError } from '../../shared/errors/rotation-error.ts';

/**
 * Secrets Manager allows 50 writes per second per account and region (PutSecretValue, UpdateSecret
 * and UpdateSecretVersionStage together), for the identity's account: a rotator acting through a
 * member's role spends that member's quota. When thousands of secrets fall due in one window, every
 * rotation in this container takes its writes in turn from one pacer per account-region, so they
 * leave at the quota instead of being refused; and a write refused anyway (another container, another
 * caller of the same account) waits and goes again, for as long as the step may run. A throttled
 * step is therefore late, never failed, unless the function is about to time out.
 */
export class WritePacer {
  private nextSlot = 0;

  constructor(
    readonly perSecond: number,
    private readonly clock: { now(): number; sleep(ms: number): Promise<unknown> } = { now: Date.now, sleep },
  ) {}

  /** Waits for this write's turn; refuses when the turn comes after `deadline`. */
  async turn(deadline: number): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.nextSlot);
    if (slot > deadline) throw new RotationError('AwsError', `ThrottlingException: Secrets Manager's write quota (${this.perSecond}/s for this account and region) leaves no turn for this write before the step's deadline`);
    this.nextSlot = slot + 1000 / this.perSecond;
    if (slot > now) await this.clock.sleep(slot - now);
  }

  /**
   * Runs `write` in its turn, again after a ThrottlingException (full-jitter backoff from 100 ms up
   * to 2 s) until `deadline`.
   */
  async write<T>(deadline: number, write: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.turn(deadline);
      try {
        return await write();
      } catch (err) {
        if (!isThrottling(err)) throw err;
        const wait = Math.random() * Math.min(2000, 100 * 2 ** attempt);
        if (this.clock.now() + wait > deadline) throw new RotationError('AwsError', 'ThrottlingException: Secrets Manager kept refusing this write (ThrottlingException) until the step had to end');
        await this.clock.sleep(wait);
      }
    }
  }
}

export const isThrottling = (err: unknown): boolean => {
  const e = err as { name?: string; $retryable?: { throttling?: boolean } } | undefined;
  return e?.name === 'ThrottlingException' || e?.name === 'TooManyRequestsException' || e?.$retryable?.throttling === true;
};
