/**
 * Per-object exponential back-off for Kubernetes writes that failed (issue 15 item 12). A write that failed is not
 * tried again for `initialMs`, then twice that after the next failure, up to `maxMs`; a success forgets the object.
 * Without it, a delete the API server keeps refusing was retried by every cycle, and each cycle scheduled the next
 * at once: about 9 cycles a second, forever.
 */
export class WriteBackoff {
  readonly #entries = new Map<string, { failures: number; readyAt: number }>();

  constructor(
    private readonly now: () => number,
    readonly initialMs = 1000,
    readonly maxMs = 300_000,
    private readonly maxEntries = 100_000,
  ) {}

  /** True when `key` has no failure pending or its wait is over. */
  ready(key: string): boolean {
    const entry = this.#entries.get(key);
    return entry === undefined || this.now() >= entry.readyAt;
  }

  failed(key: string): void {
    const failures = (this.#entries.get(key)?.failures ?? 0) + 1;
    const wait = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(failures - 1, 30));
    this.#entries.delete(key);
    this.#entries.set(key, { failures, readyAt: this.now() + wait });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  succeeded(key: string): void {
    this.#entries.delete(key);
  }

  /** Milliseconds until the earliest waiting object may be tried again; undefined when none waits. */
  nextReadyInMs(): number | undefined {
    let earliest: number | undefined;
    for (const { readyAt } of this.#entries.values())
      if (earliest === undefined || readyAt < earliest) earliest = readyAt;
    return earliest === undefined ? undefined : Math.max(0, earliest - this.now());
  }
}
