import { type Clock, sleep, systemClock } from '../clock.js';

/** Upstream's default `--clientQps`. */
export const DEFAULT_CLIENT_QPS = 5;

/** Something every outgoing Kubernetes request waits on before it is sent. */
export interface RequestRateLimiter {
  /** Resolves when the caller may send one request. */
  acquire(): Promise<void>;
}

export interface TokenBucketOptions {
  /** Sustained requests per second; must be > 0. */
  qps: number;
  /** Requests that may be sent at once after an idle period; must be >= 1. */
  burst: number;
  clock?: Clock;
}

/**
 * client-go's default client-side limiter: a token bucket refilled at `qps` tokens per second holding at most `burst`.
 * Each acquire reserves a token immediately (the balance may go negative) and sleeps until its reservation is
 * covered, so waiters are served in arrival order without a queue.
 */
export class TokenBucketRateLimiter implements RequestRateLimiter {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private lastRefill: number;
  private delayedCount = 0;

  constructor(options: TokenBucketOptions) {
    if (!(options.qps > 0) || !Number.isFinite(options.qps)) {
      throw new RangeError(`qps must be a positive number, got ${options.qps}`);
    }
    if (!(options.burst >= 1) || !Number.isInteger(options.burst)) {
      throw new RangeError(`burst must be an integer >= 1, got ${options.burst}`);
    }
    this.qps = options.qps;
    this.burst = options.burst;
    this.clock = options.clock ?? systemClock;
    this.tokens = options.burst;
    this.lastRefill = this.clock.now();
  }

  /** How many acquisitions so far had to wait for a token. */
  get delayed(): number {
    return this.delayedCount;
  }

  acquire(): Promise<void> {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.qps) / 1000);
    this.lastRefill = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return Promise.resolve();
    this.delayedCount += 1;
    const waitMs = Math.ceil((-this.tokens * 1000) / this.qps);
    return sleep(this.clock, waitMs);
  }
}

/** A limiter that never waits (upstream: a negative QPS disables client-side limiting). */
export const unlimitedRateLimiter: RequestRateLimiter = { acquire: () => Promise.resolve() };

/**
 * The limiter for a `--clientQps` value, as client-go builds it: 0 means the default of 5, a negative value disables
 * limiting. Upstream MIC sets Burst = int(QPS); a burst below 1 would make client-go refuse to start, so it is raised
 * to 1 here.
 */
export function createClientRateLimiter(options: { qps?: number; burst?: number; clock?: Clock }): RequestRateLimiter {
  const requested = options.qps ?? DEFAULT_CLIENT_QPS;
  if (requested < 0) return unlimitedRateLimiter;
  const qps = requested === 0 ? DEFAULT_CLIENT_QPS : requested;
  const burst = Math.max(1, Math.floor(options.burst ?? qps));
  return new TokenBucketRateLimiter({ qps, burst, ...(options.clock ? { clock: options.clock } : {}) });
}
