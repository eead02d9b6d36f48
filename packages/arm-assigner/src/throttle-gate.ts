import { ArmAssignerError, type ArmOperation } from './errors.js';

/** The time source; injected so tests can move time without sleeping. */
export type Clock = () => number;

/**
 * Back-off deadlines set from ARM's `Retry-After`, one for reads and one for writes per ARM client (§2.10).
 *
 * Upstream keeps a reader and a writer deadline on its single VM client and its single VMSS client. We have one
 * client per subscription and target kind, so the key is `<kind>:<subscription>`; with one subscription this is
 * exactly upstream's granularity. ARM throttles per subscription and principal, so reads stay possible while
 * writes are throttled (and the other way round), as upstream intended.
 */
export class ThrottleGate {
  readonly #deadlines = new Map<string, number>();
  readonly #clock: Clock;

  constructor(clock: Clock = Date.now) {
    this.#clock = clock;
  }

  /**
   * Throws a `throttled` error, without any network call, while the deadline for this client and operation lies in
   * the future. `label` is upstream's operation name for the message (`VMGet`, `VMSSUpdate`, ...).
   */
  assertOpen(clientKey: string, operation: ArmOperation, label: string): void {
    const retryAt = this.retryAt(clientKey, operation);
    if (retryAt === undefined) return;
    throw new ArmAssignerError(
      'throttled',
      `${label} client throttled, retry after: ${new Date(retryAt).toISOString()}`,
      {
        retryAt,
        operation,
      },
    );
  }

  /** The pending deadline, or undefined when calls may go ahead. Expired deadlines are forgotten. */
  retryAt(clientKey: string, operation: ArmOperation): number | undefined {
    const key = `${clientKey}:${operation}`;
    const deadline = this.#deadlines.get(key);
    if (deadline === undefined) return undefined;
    if (deadline <= this.#clock()) {
      this.#deadlines.delete(key);
      return undefined;
    }
    return deadline;
  }

  /** Records a deadline; a later deadline never gets shortened by an earlier one. */
  backOffUntil(clientKey: string, operation: ArmOperation, deadline: number): void {
    const key = `${clientKey}:${operation}`;
    const existing = this.#deadlines.get(key);
    if (existing === undefined || existing < deadline) this.#deadlines.set(key, deadline);
  }

  now(): number {
    return this.#clock();
  }
}
