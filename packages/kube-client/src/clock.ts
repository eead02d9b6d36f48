/**
 * Time as a dependency. Production uses the system clock; tests pass a fake one so that backoff, rate limiting and
 * lease expiry can be exercised without waiting and without asserting wall-clock timings.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type ClockTimer = { readonly __clockTimer: true } | NodeJS.Timeout;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // Background timers (backoff, renewals) must never keep a process alive on their own.
    timer.unref();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * Resolves after `ms` on the given clock, or early (without rejecting) when `signal` aborts: callers re-check their
 * own state after waking, so an early wake-up is always safe.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
