/**
 * `--createDeleteBatch` as upstream meant it: one limit on the AzureAssignedIdentity writes in flight across the
 * whole cycle (creates, updates, status patches, deletes), not per VM/VMSS. With flag 4, at most 4 at once.
 */
export class WriteLimit {
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= Math.max(1, this.limit)) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#inFlight++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (in-flight count unchanged), or free it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#inFlight--;
    }
  }
}
