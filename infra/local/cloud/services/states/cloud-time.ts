/** The cloud's clock as the engines read it (infra/local/cloud/clock.ts satisfies it). */
export interface CloudClock {
  now(): number;
}

/** Longest real sleep between looks at the clock, so a clock moved forward (POST /_local/clock) is noticed soon. */
const LOOK_EVERY_MS = 200;

/**
 * Resolves once the cloud's clock reaches `until`, or rejects with the signal's reason when it is
 * aborted. `scale` is the clock's speed (emulated ms per real ms): real sleeps are divided by it.
 */
export async function sleepUntil(clock: CloudClock, until: number, signal?: AbortSignal, scale = 1): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const remaining = until - clock.now();
    if (remaining <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(1, Math.min(LOOK_EVERY_MS, remaining / scale)));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Resolves with the promise, or rejects when the signal aborts first (the promise keeps running, its result unused). */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}
