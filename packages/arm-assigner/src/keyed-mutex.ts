/**
 * Runs tasks one at a time per key and concurrently across keys. MIC uses the target's key so two PATCHes never
 * overlap on one VM or VMSS: ARM rejects concurrent updates of one resource, and each PATCH is planned from the
 * identity list the previous one left behind.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow with every target ever seen.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Number of keys with a running or queued task (for tests and metrics). */
  get activeKeys(): number {
    return this.#tails.size;
  }
}
