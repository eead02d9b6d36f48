import type { AddressInfo } from 'node:net';
import { createNmiServer } from '@podid/imds-proxy';
import {
  type CommandRunner,
  checkKubenet,
  createProcessRunner,
  type SysctlAccess,
  type SyncTimer,
} from '@podid/iptables';
import { createKubeConfig, createKubeConnection, formatUserAgent } from '@podid/kube-client';
import {
  createPodIdentityMetrics,
  type Logger,
  type PodIdentityMetrics,
  startHealthServer,
  startMetricsServer,
} from '@podid/observability';
import { type ClusterCache, startClusterCache } from './cluster-cache.js';
import type { NmiConfig } from './config.js';
import { bindNmiMetrics } from './metrics-binding.js';
import { createRedirectManager, type RedirectManager, type RedirectMode } from './redirect-manager.js';
import { createRedirectModeMetric } from './redirect-mode-metric.js';
import { removeStartupTaint, type StartupTaintRemoval } from './startup-taint.js';
import { createRefusalLogger } from './refusal-log.js';
import { createRequestLogger } from './request-log.js';
import { createSecretLookup } from './secret-lookup.js';
import { createServiceAccountTokenLookup } from './service-account-token-lookup.js';
import { errorMessage, NmiStartupError } from './startup-error.js';
import type { BuildInfo } from '@podid/observability/cli';

export interface NmiAgentOptions {
  readonly config: NmiConfig;
  readonly logger: Logger;
  readonly version: BuildInfo;
  /** Runs iptables/conntrack; default: the real binaries in this process's network namespace. */
  readonly runner?: CommandRunner;
  /** Drives the iptables resync loop; default: a wall-clock interval. */
  readonly redirectTimer?: SyncTimer;
  /** Reads (and with `--set-route-localnet` writes) route_localnet; default: this process's /proc/sys. */
  readonly sysctl?: SysctlAccess;
  /** Aborting (SIGTERM during start-up) makes `startNmiAgent` clean up and reject with code `aborted`. */
  readonly signal?: AbortSignal;
}

export interface NmiAgent {
  /** What `/healthz` reports. */
  isActive(): boolean;
  readonly tokenServer: AddressInfo;
  readonly probePort: number;
  readonly metricsPort: number;
  readonly metrics: PodIdentityMetrics;
  /** Shutdown step 1: stop taking new connections (requests on open connections still finish). */
  stopAccepting(): void;
  /** What podid's iptables rules do now (`none` with `--manage-iptables=false`). */
  redirectMode(): RedirectMode;
  /**
   * Shutdown step 2: leave iptables as `--on-exit` says (reject: refuse pods; remove: upstream; keep). Resolves false
   * when that failed (exit code 1).
   */
  leaveRedirect(): Promise<boolean>;
  /** Last step: close the servers and stop the informers. */
  close(): Promise<void>;
}

/** How often "waiting for caches" is repeated while the first lists have not completed. */
const SYNC_WAIT_LOG_INTERVAL_MS = 10_000;

async function waitForCaches(cache: ClusterCache, log: Logger, signal: AbortSignal | undefined): Promise<void> {
  let reminder: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      cache.synced,
      new Promise<never>((_, reject) => {
        reminder = setInterval(
          () => log.warn({ pending: cache.pendingKinds() }, 'waiting for informer caches to sync'),
          SYNC_WAIT_LOG_INTERVAL_MS,
        );
        onAbort = () => reject(new NmiStartupError('aborted', 'start-up interrupted while waiting for caches'));
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearInterval(reminder);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Starts NMI (spec §3.1): kubenet guard, probe and metrics servers, informers, the token server, then the iptables
 * redirect, and only then reports Active. The probe server comes first so `/healthz` answers `Not Active` while the
 * caches sync, and the token server listens before any traffic is redirected to it, so a redirected pod never meets
 * a closed port. On any failure everything already started is closed again and the error is thrown.
 */
export async function startNmiAgent(options: NmiAgentOptions): Promise<NmiAgent> {
  const { config, logger: log } = options;
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => log.warn({ error: errorMessage(error) }, 'error while closing'));
    }
  };
  let active = false;
  try {
    try {
      await checkKubenet({
        allowKubenet: config.iptables.allowKubenet,
        kubeletConfigPath: config.iptables.kubeletConfigPath,
      });
    } catch (error) {
      throw new NmiStartupError('kubenet_check_failed', errorMessage(error), { cause: error });
    }

    const metrics = createPodIdentityMetrics();
    const reportMode = createRedirectModeMetric(metrics.registry);
    let redirect: RedirectManager | undefined;
    // Active only while pods really reach NMI: with the reject rule in place (shutting down) it is not.
    const isActive = () => active && (redirect === undefined || redirect.mode() === 'redirect');
    const probe = await listenOrFail('probe', () => startHealthServer({ port: config.httpProbePort, isActive }));
    closers.push(() => probe.close());
    const metricsServer = await listenOrFail('metrics', () =>
      startMetricsServer({ port: config.prometheusPort, registry: metrics.registry }),
    );
    closers.push(() => metricsServer.close());
    log.info({ probePort: probe.port, metricsPort: metricsServer.port }, 'probe and metrics servers listening');

    let connection: ReturnType<typeof createKubeConnection>;
    try {
      const kubeConfig = createKubeConfig(
        config.kubeconfigPath !== undefined ? { kubeconfigPath: config.kubeconfigPath } : { inCluster: true },
      );
      const userAgent = formatUserAgent({
        component: 'NMI',
        version: options.version.version,
        gitCommit: options.version.gitCommit,
        buildDate: options.version.buildDate,
        customUserAgent: config.customUserAgent,
      });
      connection = createKubeConnection({ kubeConfig, userAgent });
    } catch (error) {
      throw new NmiStartupError('kube_config_invalid', `failed to create kube client: ${errorMessage(error)}`, {
        cause: error,
      });
    }

    const cache = startClusterCache({
      connection,
      nodeName: config.nodeName,
      operationMode: config.operationMode,
      watchOnlyThisNode: config.lookup.watchOnlyThisNode,
      logger: log,
    });
    closers.push(() => cache.stop());
    await waitForCaches(cache, log, options.signal);
    log.info({ mode: config.operationMode, node: config.nodeName }, 'informer caches synced');

    const nmi = createNmiServer({
      pods: cache.pods,
      exceptions: cache.exceptions,
      identities: cache.identities,
      secrets: createSecretLookup(connection),
      ...(config.federated.enabled
        ? {
            serviceAccountTokens: createServiceAccountTokenLookup(connection),
            federatedAuthorityHost: config.federated.authorityHost,
          }
        : {}),
      imdsBaseUrl: config.imdsEndpoint,
      forceNamespaced: config.namespaced,
      micNamespace: config.micNamespace,
      metadataHeaderRequired: config.metadataHeaderRequired,
      blockInstanceMetadata: config.blockInstanceMetadata,
      setRetryAfterHeader: config.setRetryAfterHeader,
      errorFormat: config.errorFormat,
      retryAttemptsForCreated: config.lookup.retryAttemptsForCreated,
      retryAttemptsForAssigned: config.lookup.retryAttemptsForAssigned,
      findIdentityRetryIntervalSeconds: config.lookup.retryIntervalMs / 1000,
      ...(config.allowedMetadataPaths ? { allowedMetadataPaths: config.allowedMetadataPaths } : {}),
      tokenCache: config.tokenCache.enabled ? { maxEntries: config.tokenCache.maxEntries } : false,
      upstreamConcurrency: {
        maxConcurrent: config.upstreamConcurrency.total,
        maxConcurrentPerCaller: config.upstreamConcurrency.perPod,
        maxPerSecond: config.upstreamConcurrency.perSecond,
      },
      maxWaitingRequestsPerPod: config.waitingRequests.perPod,
      maxWaitingRequests: config.waitingRequests.total,
      maxConnectionsPerPod: config.maxConnectionsPerPod,
      userAgent: connection.userAgent,
      metrics: bindNmiMetrics(metrics),
      onRequest: createRequestLogger(log),
      // The reason only: the target itself is whatever a hostile pod chose to send.
      onRefusedRequest: createRefusalLogger(log),
      onHandlerError: (error) => log.error({ err: error }, 'request handler failed; answered 500, still serving'),
    });
    closers.push(() => nmi.close());
    const tokenServer = await listenOrFail('token', () => nmi.listen(config.listen.port, config.listen.address));
    log.info({ address: tokenServer.address, port: tokenServer.port }, 'token server listening');

    if (config.iptables.manage) {
      redirect = createRedirectManager({
        runner: options.runner ?? createProcessRunner(),
        metadata: config.metadata,
        target: { ip: config.redirectTarget.ip, port: tokenServer.port },
        updateIntervalMs: config.iptables.updateIntervalMs,
        conntrackDeletion: config.iptables.conntrackDeletion,
        setRouteLocalnet: config.iptables.setRouteLocalnet,
        logger: log,
        onModeChange: reportMode,
        ...(options.redirectTimer ? { timer: options.redirectTimer } : {}),
        ...(options.sysctl ? { sysctl: options.sysctl } : {}),
      });
      try {
        await redirect.start();
      } catch (error) {
        throw new NmiStartupError('iptables_failed', `failed to set up iptables: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    } else {
      log.info('not managing iptables (--manage-iptables=false)');
    }
    active = true;
    log.info('NMI is active');

    // Only now may the scheduler send pods here: every request from them reaches this NMI.
    let taintRemoval: StartupTaintRemoval | undefined;
    if (config.startupTaint) {
      taintRemoval = removeStartupTaint({
        connection,
        nodeName: config.nodeName,
        taint: config.startupTaint,
        logger: log,
      });
      const removal = taintRemoval;
      closers.push(async () => removal.stop());
    }

    return {
      isActive,
      redirectMode: () => redirect?.mode() ?? 'none',
      tokenServer,
      probePort: probe.port,
      metricsPort: metricsServer.port,
      metrics,
      stopAccepting: () => {
        nmi.server.close();
      },
      leaveRedirect: async () => {
        active = false;
        taintRemoval?.stop();
        if (!redirect) return true;
        const onExit = config.iptables.onExit;
        try {
          const outcome = await redirect.stop(onExit);
          if (outcome.mode === 'reject') {
            log.info(
              { redirectRemoved: outcome.redirectRemoved },
              'replaced iptables redirect with reject rule (--on-exit=reject)',
            );
          } else if (outcome.mode === 'remove') {
            log.info(
              { jumpsRemoved: outcome.removed.jumpsRemoved, chainRemoved: outcome.removed.chainRemoved },
              'removed iptables redirect',
            );
          } else {
            log.info('left iptables redirect in place (--on-exit=keep)');
          }
          return true;
        } catch (error) {
          log.error({ error: errorMessage(error), onExit }, 'failed to leave iptables as --on-exit asks');
          return false;
        }
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function listenOrFail<T>(what: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    throw new NmiStartupError('listen_failed', `failed to start the ${what} server: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
