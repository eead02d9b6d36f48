import type { RefusedRequest } from '@podid/imds-proxy';
import type { Logger } from '@podid/observability';

/** One line per caller per this many milliseconds; the rest are counted into the next line. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Callers remembered at once; beyond, the memory starts afresh (a flood from many addresses costs a few lines). */
const MAX_CALLERS = 1024;

/**
 * Logs refused requests (targets not in canonical form) without letting a hostile pod flood the log: at most one
 * warning per caller address per interval, carrying how many refusals it stands for.
 */
export function createRefusalLogger(
  log: Pick<Logger, 'warn'>,
  now: () => number = Date.now,
): (refusal: RefusedRequest) => void {
  const callers = new Map<string, { lastLoggedMs: number; suppressed: number }>();
  return (refusal) => {
    const at = now();
    const known = callers.get(refusal.remote);
    if (known && at - known.lastLoggedMs < REFUSAL_LOG_INTERVAL_MS) {
      known.suppressed++;
      return;
    }
    if (!known && callers.size >= MAX_CALLERS) callers.clear();
    const suppressed = known?.suppressed ?? 0;
    callers.set(refusal.remote, { lastLoggedMs: at, suppressed: 0 });
    log.warn(
      { ...refusal, ...(suppressed > 0 ? { refusedSinceLastLine: suppressed } : {}) },
      'request refused before routing',
    );
  };
}
