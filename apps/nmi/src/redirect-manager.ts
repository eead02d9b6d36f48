import {
  type CommandRunner,
  checkRouteLocalnet,
  type EnsureRedirectResult,
  ensureRedirect,
  flushConntrack,
  installReject,
  type RedirectSync,
  type RemoveRedirectResult,
  removeRedirect,
  type SysctlAccess,
  type SyncTimer,
  startRedirectSync,
} from '@podid/iptables';
import type { Logger } from '@podid/observability';
import type { OnExitMode } from './config.js';
import { errorMessage } from './startup-error.js';

/**
 * What podid's rules in this node's iptables do right now: `redirect` (pods reach NMI), `reject` (pods are refused:
 * NMI is stopping or gone) or `none` (nothing of podid's; pods reach whatever answers the metadata address).
 */
export type RedirectMode = 'redirect' | 'reject' | 'none';

export type ExitOutcome =
  | { readonly mode: 'reject'; readonly redirectRemoved: boolean }
  | { readonly mode: 'remove'; readonly removed: RemoveRedirectResult }
  | { readonly mode: 'keep' };

export interface RedirectManagerOptions {
  readonly runner: CommandRunner;
  readonly metadata: { readonly ip: string; readonly port: number };
  /** Where redirected traffic goes: NMI's listen address and the port it actually listens on. */
  readonly target: { readonly ip: string; readonly port: number };
  readonly updateIntervalMs: number;
  readonly conntrackDeletion: boolean;
  /** `--set-route-localnet`: enable route_localnet when the target is a loopback address and it is off. */
  readonly setRouteLocalnet: boolean;
  readonly logger: Logger;
  readonly timer?: SyncTimer;
  readonly sysctl?: SysctlAccess;
  /** Called whenever the mode changes (the metric and /healthz follow it). */
  readonly onModeChange?: (mode: RedirectMode) => void;
}

export interface RedirectManager {
  /** route_localnet check, first rule install, optional conntrack flush, then the resync loop. Throws on failure. */
  start(): Promise<void>;
  /**
   * Shutdown: stops the loop, then per `--on-exit` replaces the DNAT with the reject rule in one restore (`reject`),
   * removes jump and chain as upstream does (`remove`), or leaves the DNAT to the soon-closed port (`keep`).
   */
  stop(onExit: OnExitMode): Promise<ExitOutcome>;
  mode(): RedirectMode;
}

function describeRepairs(result: EnsureRedirectResult): Record<string, unknown> {
  return { repairs: result.repairs, chainBefore: result.chainBefore, chain: result.chainExpected };
}

/** NMI's part of spec §4: install and keep the `aad-metadata` redirect, and take it away on shutdown. */
export function createRedirectManager(options: RedirectManagerOptions): RedirectManager {
  const redirect = {
    runner: options.runner,
    metadataIp: options.metadata.ip,
    metadataPort: options.metadata.port,
    targetIp: options.target.ip,
    targetPort: options.target.port,
  };
  const log = options.logger;
  let sync: RedirectSync | undefined;
  let mode: RedirectMode = 'none';
  const setMode = (next: RedirectMode) => {
    if (next === mode) return;
    mode = next;
    options.onModeChange?.(next);
  };

  return {
    async start() {
      const localnet = await checkRouteLocalnet({
        targetIp: options.target.ip,
        enable: options.setRouteLocalnet,
        ...(options.sysctl ? { sysctl: options.sysctl } : {}),
      });
      if (localnet.enabled !== undefined) log.info({ sysctl: localnet.enabled }, 'enabled route_localnet');
      // Upstream never checks this; a missing route_localnet makes every pod request time out silently.
      if (!localnet.ok) log.warn({ problem: localnet.problem }, 'redirect target needs route_localnet');

      const first = await ensureRedirect(redirect);
      setMode('redirect');
      if (first.repairs.length > 0) log.info(describeRepairs(first), 'installed iptables redirect');
      log.debug({ chain: first.chainExpected }, 'iptables rules');
      if (options.conntrackDeletion) {
        const flushed = await flushConntrack({
          runner: options.runner,
          metadataIp: options.metadata.ip,
          metadataPort: options.metadata.port,
        });
        log.info({ deleted: flushed.deleted ?? null }, 'deleted conntrack entries to the metadata address');
      }
      sync = startRedirectSync({
        ...redirect,
        intervalMs: options.updateIntervalMs,
        ...(options.timer ? { timer: options.timer } : {}),
        onRepaired: (result) =>
          log.warn(describeRepairs(result), 'flushing iptables to add aad-metadata custom chains'),
        // Upstream exits on a failed resync. podid logs it and tries again on the next tick: the rules from the
        // last good pass stay in place, so pods keep reaching NMI, and a transient xtables lock timeout no longer
        // restarts the agent.
        onError: (error) =>
          log.error({ error: errorMessage(error) }, 'failed to sync iptables; retrying next interval'),
      });
    },
    async stop(onExit) {
      sync?.stop();
      sync = undefined;
      switch (onExit) {
        case 'keep':
          return { mode: 'keep' };
        case 'remove': {
          const removed = await removeRedirect({ runner: options.runner });
          setMode('none');
          return { mode: 'remove', removed };
        }
        case 'reject': {
          const result = await installReject({
            runner: options.runner,
            metadataIp: options.metadata.ip,
            metadataPort: options.metadata.port,
          });
          setMode('reject');
          return { mode: 'reject', redirectRemoved: result.redirectRemoved };
        }
      }
    },
    mode: () => mode,
  };
}
