import type { Clock } from '../lookup/lookups.js';

/**
 * A clock tests drive by hand. `sleep` resolves immediately but advances time by the requested amount, so retry
 * loops run their full course without waiting; `sleeps` records every requested delay.
 */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.current += ms;
    // Yield so a disconnect in between is observed, as with a real timer.
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
  }
}
