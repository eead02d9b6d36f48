/**
 * Faults a test can switch on to exercise client resilience: failing requests with 429 (with Retry-After) or 500,
 * added latency, dropped watches, 410 Expired on the next watch, and compacted history.
 */
import { type ApiError, internalError, tooManyRequests } from './status-errors.js';

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface FailRequestsOptions {
  /** How many matching requests fail; afterwards requests succeed again. */
  count: number;
  status: 429 | 500;
  /** Only requests with this verb count (default: every resource request). */
  verb?: RequestVerb;
  /** Only requests for this resource plural count, e.g. `pods`. */
  resource?: string;
  /** Retry-After for 429 (seconds, default 1). */
  retryAfterSeconds?: number;
}

interface FailureRule extends FailRequestsOptions {
  remaining: number;
}

export class FaultInjector {
  private rules: FailureRule[] = [];
  private latency = 0;

  failNextRequests(options: FailRequestsOptions): void {
    if (!Number.isInteger(options.count) || options.count < 1) throw new RangeError('count must be a positive integer');
    this.rules.push({ ...options, remaining: options.count });
  }

  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('latency must be >= 0');
    this.latency = ms;
  }

  get latencyMs(): number {
    return this.latency;
  }

  clear(): void {
    this.rules = [];
    this.latency = 0;
  }

  /** The failure to answer this request with, consuming one unit of the first matching rule. */
  failureFor(verb: RequestVerb, resource: string): ApiError | undefined {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.verb === undefined || r.verb === verb) &&
        (r.resource === undefined || r.resource === resource),
    );
    if (rule === undefined) return undefined;
    rule.remaining--;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.status === 429
      ? tooManyRequests(rule.retryAfterSeconds ?? 1)
      : internalError(`injected fault for ${verb} ${resource}`);
  }

  get pendingFailures(): number {
    return this.rules.reduce((n, r) => n + r.remaining, 0);
  }
}
