import { type EnsureRedirectResult, ensureRedirect } from './ensure-redirect.js';
import type { RedirectOptions } from './redirect-options.js';

/** Upstream's `--ipt-update-interval-sec` default. */
export const DEFAULT_SYNC_INTERVAL_MS = 60_000;

export interface SyncTimer {
  /** Calls `tick` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, tick: () => void): () => void;
}

/** Wall-clock timer; unref'd so a pending resync never keeps the process alive on its own. */
export const intervalTimer: SyncTimer = {
  every(intervalMs, tick) {
    const handle = setInterval(tick, intervalMs);
    handle.unref();
    return () => clearInterval(handle);
  },
};

export interface RedirectSyncOptions extends RedirectOptions {
  readonly intervalMs?: number;
  readonly timer?: SyncTimer;
  /** Called after a tick that had to change something (drift repaired). */
  readonly onRepaired?: (result: EnsureRedirectResult) => void;
  /** Called when a tick fails. Upstream exits on any iptables error; the caller decides. */
  readonly onError?: (error: unknown) => void;
}

export interface RedirectSync {
  /** Runs one ensure pass now (or joins the one in flight) and reports it like a tick would. */
  syncNow(): Promise<EnsureRedirectResult>;
  stop(): void;
}

/**
 * Re-applies the redirect on an interval so a flushed table, a deleted rule or a missing jump heals itself.
 * Ticks never overlap: a tick that fires while one is still running joins it.
 */
export function startRedirectSync(options: RedirectSyncOptions): RedirectSync {
  const intervalMs = options.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new RangeError(`intervalMs must be a positive number, got ${intervalMs}`);
  }
  const timer = options.timer ?? intervalTimer;
  let inFlight: Promise<EnsureRedirectResult> | undefined;
  let stopped = false;

  const syncNow = (): Promise<EnsureRedirectResult> => {
    if (inFlight !== undefined) return inFlight;
    const pass = ensureRedirect(options).then(
      (result) => {
        if (result.repairs.length > 0) options.onRepaired?.(result);
        return result;
      },
      (error: unknown) => {
        options.onError?.(error);
        throw error;
      },
    );
    inFlight = pass.finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const cancel = timer.every(intervalMs, () => {
    if (stopped) return;
    // Failures were already handed to onError; the interval keeps running so a transient lock timeout heals.
    syncNow().catch(() => {});
  });

  return {
    syncNow,
    stop() {
      stopped = true;
      cancel();
    },
  };
}
