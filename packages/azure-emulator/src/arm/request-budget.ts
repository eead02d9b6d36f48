/**
 * ARM's subscription-level throttling: a budget of reads and a budget of writes per fixed window. When a
 * budget is spent, ARM answers 429 with `Retry-After` (seconds until the window resets).
 */

export interface BudgetLimit {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
}

export interface ThrottleOptions {
  reads?: BudgetLimit;
  writes?: BudgetLimit;
}

export type RequestClass = 'reads' | 'writes';

export type BudgetDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Window {
  startedAt: number;
  used: number;
}

export class RequestBudget {
  private limits: ThrottleOptions;
  private readonly windows = new Map<string, Window>();

  constructor(
    limits: ThrottleOptions,
    private readonly now: () => number,
  ) {
    this.limits = { ...limits };
  }

  configure(limits: ThrottleOptions): void {
    this.limits = { ...limits };
    this.windows.clear();
  }

  /** Spends one request of `requestClass` for `scope` (a subscription ID). */
  spend(scope: string, requestClass: RequestClass): BudgetDecision {
    const limit = this.limits[requestClass];
    if (!limit) return { allowed: true, remaining: Number.POSITIVE_INFINITY };
    const key = `${requestClass}:${scope.toLowerCase()}`;
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= limit.windowMs) {
      window = { startedAt: now, used: 0 };
      this.windows.set(key, window);
    }
    if (window.used >= limit.limit) {
      const msLeft = window.startedAt + limit.windowMs - now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)) };
    }
    window.used += 1;
    return { allowed: true, remaining: limit.limit - window.used };
  }
}
