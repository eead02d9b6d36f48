import { type KubeConnection, removeNodeTaint } from '@podid/kube-client';
import type { Logger } from '@podid/observability';
import type { StartupTaint } from './config.js';
import { errorMessage } from './startup-error.js';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

export interface StartupTaintRemoval {
  /** Resolves when the taint is gone (or was never there), or when stopped. */
  readonly done: Promise<void>;
  stop(): void;
}

/**
 * Takes `--startup-taint` off this node. Called only once NMI serves (redirect installed, conntrack flushed, caches
 * synced, token server listening), so the scheduler places pods here only when their requests reach NMI. A failure
 * (API server down, RBAC missing) is logged and retried with backoff: the node stays unschedulable, which is the
 * safe side, and NMI keeps serving the pods that tolerate the taint.
 */
export function removeStartupTaint(options: {
  readonly connection: KubeConnection;
  readonly nodeName: string;
  readonly taint: StartupTaint;
  readonly logger: Logger;
}): StartupTaintRemoval {
  const { taint, logger: log } = options;
  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const done = (async () => {
    for (let delay = FIRST_RETRY_MS; !stopped; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      try {
        const result = await removeNodeTaint({
          connection: options.connection,
          nodeName: options.nodeName,
          key: taint.key,
          effect: taint.effect,
        });
        log.info(
          { taint: `${taint.key}:${taint.effect}`, removed: result.removed, conflicts: result.conflicts },
          result.removed ? 'removed start-up taint from node' : 'node has no start-up taint',
        );
        return;
      } catch (error) {
        log.error(
          { taint: `${taint.key}:${taint.effect}`, error: errorMessage(error), retryInMs: delay },
          'failed to remove start-up taint; retrying',
        );
        await pause(delay);
      }
    }
  })();
  return {
    done,
    stop() {
      stopped = true;
      wake?.();
    },
  };
}
