/**
 * Lets a key through at most once per `intervalMs`: the same complaint about the same object (reason + object)
 * is told once, then not again until the interval has passed, however many cycles meet it. Bounded: beyond
 * `maxKeys` the oldest entries are forgotten (they may then be told once more, never flood).
 */
export class OncePerInterval {
  readonly #lastAllowed = new Map<string, number>();

  constructor(
    readonly intervalMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 50_000,
  ) {}

  allow(key: string): boolean {
    const at = this.now();
    const last = this.#lastAllowed.get(key);
    if (last !== undefined && at - last < this.intervalMs) return false;
    // Re-insert so the map's order stays oldest-first for the eviction below.
    this.#lastAllowed.delete(key);
    this.#lastAllowed.set(key, at);
    if (this.#lastAllowed.size > this.maxKeys) {
      const oldest = this.#lastAllowed.keys().next().value;
      if (oldest !== undefined) this.#lastAllowed.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.#lastAllowed.size;
  }
}
