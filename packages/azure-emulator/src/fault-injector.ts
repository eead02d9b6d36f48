/**
 * Test-controlled failures. A fault is attached to an operation kind (for example `vm_update` or `imds_token`)
 * and fires either a fixed number of times (`count`) or with a probability (`rate`, drawn from the injected
 * random source so tests can make it deterministic).
 */

export interface FaultSpec {
  /** HTTP status to answer with: 429, 500 and 503 are the useful ones. */
  status: number;
  /** Fire on the next `count` matching requests, then disarm. */
  count?: number;
  /** Fire on each matching request with this probability (0..1) until cleared. Ignored when `count` is set. */
  rate?: number;
  /** Seconds for the `Retry-After` header (429/503 only). Default 1. */
  retryAfterSeconds?: number;
  /** ARM only: the error body's `error.message` instead of the stock text (e.g. one that echoes a secret). */
  message?: string;
}

export interface TriggeredFault {
  status: number;
  retryAfterSeconds: number;
  message?: string;
}

interface ArmedFault {
  spec: FaultSpec;
  remaining: number | undefined;
}

export class FaultInjector {
  private readonly faults = new Map<string, ArmedFault>();

  constructor(private readonly random: () => number = Math.random) {}

  inject(kind: string, spec: FaultSpec): void {
    if (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599) {
      throw new RangeError(`fault status must be an HTTP error status (400-599), got ${spec.status}`);
    }
    if (spec.count === undefined && spec.rate === undefined) {
      throw new RangeError('a fault needs a count or a rate');
    }
    this.faults.set(kind, { spec, remaining: spec.count });
  }

  clear(kind?: string): void {
    if (kind === undefined) this.faults.clear();
    else this.faults.delete(kind);
  }

  /** Decides whether this request of `kind` fails, consuming one count when it does. */
  take(kind: string): TriggeredFault | undefined {
    const armed = this.faults.get(kind);
    if (!armed) return undefined;
    if (armed.remaining !== undefined) {
      if (armed.remaining <= 0) return undefined;
      armed.remaining -= 1;
      if (armed.remaining === 0) this.faults.delete(kind);
    } else if (this.random() >= (armed.spec.rate ?? 0)) {
      return undefined;
    }
    return {
      status: armed.spec.status,
      retryAfterSeconds: armed.spec.retryAfterSeconds ?? 1,
      ...(armed.spec.message === undefined ? {} : { message: armed.spec.message }),
    };
  }
}
