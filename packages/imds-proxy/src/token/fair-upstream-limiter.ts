import { NmiError } from '../errors.js';

export interface FairUpstreamLimiterOptions {
  /** Upstream calls in flight for the whole node (IMDS allows 5 concurrent managed-identity requests per VM). */
  readonly maxConcurrent?: number;
  /** Upstream calls in flight for one caller, so one pod cannot take every slot. */
  readonly maxConcurrentPerCaller?: number;
  /** Waiting calls per caller before new ones are refused. */
  readonly maxQueuedPerCaller?: number;
  /** Waiting calls for the whole node before new ones are refused. */
  readonly maxQueued?: number;
  /**
   * Upstream calls started per second for the whole node (IMDS allows 20 requests per second per VM; beyond that it
   * answers 429). A token bucket of `burst` (default: the same number); 0 or less: no rate bound.
   */
  readonly maxPerSecond?: number;
  readonly burst?: number;
  /** Monotonic milliseconds and a timer, for tests; real time by default. */
  readonly timer?: RateTimer;
}

export interface RateTimer {
  now(): number;
  /** Calls `wake` after `ms`. */
  schedule(wake: () => void, ms: number): void;
}

const realTimer: RateTimer = {
  now: () => performance.now(),
  schedule: (wake, ms) => {
    // Never keeps the process alive by itself: a waiting call holds a request open anyway.
    setTimeout(wake, ms).unref();
  },
};

/** Starts per second, refilled continuously, at most `burst` saved up. */
class StartBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly timer: RateTimer,
  ) {
    this.tokens = burst;
    this.refilledAt = timer.now();
  }

  /** Takes one start if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next start is available. */
  msUntilNext(): number {
    this.refill();
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
  }

  private refill(): void {
    const now = this.timer.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
  }
}

interface Waiter {
  readonly start: () => void;
  readonly reject: (error: unknown) => void;
}

interface CallerState {
  active: number;
  readonly queue: Waiter[];
}

/**
 * Bounds concurrent upstream token calls, overall and per caller, and how many start per second, and serves waiting
 * callers round-robin: when a slot (and a start) frees, the next caller in turn gets it, however many requests a
 * noisy neighbour has queued.
 */
export class FairUpstreamLimiter {
  private readonly maxConcurrent: number;
  private readonly maxConcurrentPerCaller: number;
  private readonly maxQueuedPerCaller: number;
  private readonly maxQueued: number;
  /** Callers in round-robin order; a caller moves to the back each time one of its calls starts. */
  private readonly callers = new Map<string, CallerState>();
  private active = 0;
  private queued = 0;
  private readonly budget: StartBudget | undefined;
  private readonly timer: RateTimer;
  private wakeScheduled = false;

  constructor(options: FairUpstreamLimiterOptions = {}) {
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 5);
    this.maxConcurrentPerCaller = Math.max(1, options.maxConcurrentPerCaller ?? 2);
    this.maxQueuedPerCaller = Math.max(0, options.maxQueuedPerCaller ?? 64);
    this.maxQueued = Math.max(0, options.maxQueued ?? 1024);
    this.timer = options.timer ?? realTimer;
    const perSecond = options.maxPerSecond ?? 20;
    this.budget =
      perSecond > 0 ? new StartBudget(perSecond, Math.max(1, options.burst ?? perSecond), this.timer) : undefined;
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queued;
  }

  run<T>(caller: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const state = this.callers.get(caller) ?? { active: 0, queue: [] };
    this.callers.set(caller, state);
    if (state.queue.length >= this.maxQueuedPerCaller || this.queued >= this.maxQueued) {
      if (state.active === 0 && state.queue.length === 0) this.callers.delete(caller);
      return Promise.reject(
        new NmiError('upstream-queue-full', 'too many token requests are waiting for Azure, retry later'),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const index = state.queue.indexOf(waiter);
        if (index === -1) return;
        state.queue.splice(index, 1);
        this.queued--;
        this.forgetIfIdle(caller, state);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          // A task that throws synchronously must still release its slot.
          Promise.resolve()
            .then(task)
            .then(resolve, reject)
            .finally(() => {
              state.active--;
              this.active--;
              this.forgetIfIdle(caller, state);
              this.pump();
            });
        },
        reject,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      state.queue.push(waiter);
      this.queued++;
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.maxConcurrent) {
      const next = this.nextEligible();
      if (!next) return;
      if (this.budget && !this.budget.take()) {
        this.wakeForNextStart(this.budget.msUntilNext());
        return;
      }
      const [caller, state] = next;
      const waiter = state.queue.shift() as Waiter;
      this.queued--;
      state.active++;
      this.active++;
      // Back of the line for this caller's next call.
      this.callers.delete(caller);
      this.callers.set(caller, state);
      waiter.start();
    }
  }

  private wakeForNextStart(ms: number): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    this.timer.schedule(() => {
      this.wakeScheduled = false;
      this.pump();
    }, ms);
  }

  private nextEligible(): [string, CallerState] | undefined {
    for (const entry of this.callers) {
      const state = entry[1];
      if (state.queue.length > 0 && state.active < this.maxConcurrentPerCaller) return entry;
    }
    return undefined;
  }

  private forgetIfIdle(caller: string, state: CallerState): void {
    if (state.active === 0 && state.queue.length === 0 && this.callers.get(caller) === state)
      this.callers.delete(caller);
  }
}
