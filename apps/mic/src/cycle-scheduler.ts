/**
 * Turns a stream of "something changed" signals into sync cycles: a burst of informer events becomes ONE cycle
 * (upstream ran one full cycle per event, quirk Q14), and at most one cycle runs at a time. A signal that arrives while
 * a cycle runs schedules exactly one follow-up cycle after it, so no change is ever missed and none is handled twice
 * concurrently.
 *
 * The window closes when the signals pause for `debounceMs` (a quiet period), not `debounceMs` after the first one:
 * at 100,000 pods a 1 % churn arrives over about half a second, and a window closed early split it into two cycles,
 * the second of which waited out the first's ARM update. A burst that never pauses still gets its cycle after
 * `maxDebounceMs`, so a busy cluster cannot postpone the work indefinitely.
 */
export interface SchedulerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: SchedulerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface CycleSchedulerOptions {
  /** Runs one cycle; the reasons are the distinct signals gathered since the last cycle started. */
  readonly runCycle: (reasons: ReadonlySet<string>) => Promise<void>;
  /** The quiet period: the cycle starts once no signal has come for this long, gathering the rest of the burst. */
  readonly debounceMs: number;
  /** The longest a window stays open while signals keep coming; default ten quiet periods. */
  readonly maxDebounceMs?: number;
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  readonly now?: () => number;
  /** Called when a cycle throws; the scheduler keeps going. */
  readonly onCycleError?: (error: unknown) => void;
  readonly timers?: SchedulerTimers;
}

export class CycleScheduler {
  private readonly options: CycleSchedulerOptions;
  private readonly timers: SchedulerTimers;
  private pendingReasons = new Set<string>();
  private timer: unknown;
  /** When the open window opened, and when its latest signal came (`now`). */
  private windowOpenedAt = 0;
  private lastSignalAt = 0;
  private readonly maxDebounceMs: number;
  private readonly now: () => number;
  private running: Promise<void> | undefined;
  private stopped = false;
  private cyclesRun = 0;

  constructor(options: CycleSchedulerOptions) {
    this.options = options;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? (() => performance.now());
    this.maxDebounceMs = Math.max(options.maxDebounceMs ?? options.debounceMs * 10, options.debounceMs);
  }

  /** Number of cycles started so far. */
  get cycleCount(): number {
    return this.cyclesRun;
  }

  /** Asks for a cycle. Cheap: call it from every informer event. */
  signal(reason: string): void {
    if (this.stopped) return;
    this.pendingReasons.add(reason);
    // While a cycle runs, the follow-up is scheduled when it ends; otherwise open the window once.
    if (this.running) return;
    if (this.timer !== undefined) {
      this.lastSignalAt = this.now();
      return;
    }
    this.openWindow();
  }

  /** Stops scheduling; resolves when the cycle in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.running;
  }

  /** Resolves when no cycle is running or waiting. For tests and graceful shutdown. */
  async idle(): Promise<void> {
    while (this.running || this.timer !== undefined) {
      if (this.running) await this.running;
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private openWindow(): void {
    this.windowOpenedAt = this.now();
    this.lastSignalAt = this.windowOpenedAt;
    this.timer = this.timers.setTimeout(() => this.windowElapsed(), this.options.debounceMs);
  }

  /** Starts the cycle once the signals have paused for a quiet period, or the window has been open long enough. */
  private windowElapsed(): void {
    const now = this.now();
    const quietUntil = this.lastSignalAt + this.options.debounceMs;
    const closesAt = this.windowOpenedAt + this.maxDebounceMs;
    const wait = Math.min(quietUntil, closesAt) - now;
    // Timers fire late, never early: a wait under a millisecond is the rounding of a timer that came due.
    if (wait >= 1 && !this.stopped) {
      this.timer = this.timers.setTimeout(() => this.windowElapsed(), wait);
      return;
    }
    this.startCycle();
  }

  private startCycle(): void {
    this.timer = undefined;
    if (this.stopped || this.pendingReasons.size === 0) return;
    const reasons = this.pendingReasons;
    this.pendingReasons = new Set();
    this.cyclesRun++;
    this.running = this.options
      .runCycle(reasons)
      .catch((error: unknown) => this.options.onCycleError?.(error))
      .finally(() => {
        this.running = undefined;
        if (!this.stopped && this.pendingReasons.size > 0) this.openWindow();
      });
  }
}
