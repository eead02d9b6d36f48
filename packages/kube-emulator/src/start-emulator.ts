/**
 * startKubeEmulator: wires storage, the resource service, watches and faults into a node:http server on loopback and
 * hands back its URL, a kubeconfig (object and file), an admin handle for faults, and close().
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { FaultInjector, type FailRequestsOptions } from './fault-injection.js';
import { createRequestHandler } from './http-handler.js';
import { buildKubeconfig, type Kubeconfig, writeKubeconfig } from './kubeconfig.js';
import { ObjectStore } from './object-store.js';
import { ResourceService } from './resource-service.js';
import { badRequest, notFound } from './status-errors.js';
import type { KubeObject, ResourceType } from './resource-types.js';
import { WatchHub } from './watch-streams.js';
import { OIDC_JWKS_PATH, ServiceAccountTokenIssuer } from './service-account-tokens.js';

export interface KubeEmulatorOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: an ephemeral port). */
  port?: number;
  /** Bearer token put in the kubeconfig; when `requireToken` is true, other requests get 401. */
  token?: string;
  requireToken?: boolean;
  /** Where to write the kubeconfig (default: a new temporary directory, removed by close()). */
  kubeconfigPath?: string;
  /** How many changes the watch history keeps for replay (default 10,000). */
  historySize?: number;
  /** Interval between BOOKMARK events for watches that allow them (default 60 s). */
  bookmarkIntervalMs?: number;
  /** Watch duration when the client gives no timeoutSeconds (default 1800 s; 0 = unlimited). */
  defaultWatchTimeoutSeconds?: number;
  /** Unsent bytes after which a watcher that does not read is dropped (default 256 MiB). */
  maxWatchBacklogBytes?: number;
  /** Clock for timestamps and ages (default Date.now). */
  now?: () => number;
  /** `iss` of service-account tokens (default: the emulator's own URL, whose OIDC discovery documents it serves). */
  serviceAccountIssuer?: string;
}

export interface EmulatorAdmin {
  /** Ends every open watch stream; returns how many were open. */
  closeAllWatches(): number;
  /** The next `count` (default 1) watch requests answer an ERROR event with 410 Expired. */
  expireNextWatch(count?: number): void;
  /** Fails the next matching requests with 429 (Retry-After) or 500. */
  failNextRequests(options: FailRequestsOptions): void;
  /** Delays every request by `ms`. */
  setLatency(ms: number): void;
  /** Drops the watch history, so resuming from any earlier resourceVersion answers 410. */
  compactHistory(): void;
  /** Removes pending request failures and latency. */
  clearFaults(): void;
  readonly openWatches: number;
  readonly resourceVersion: number;
}

export interface KubeEmulator {
  url: string;
  /** The `iss` of the service-account tokens this server issues. */
  serviceAccountIssuer: string;
  kubeconfig: Kubeconfig;
  kubeconfigPath: string;
  admin: EmulatorAdmin;
  close(): Promise<void>;
}

const DEFAULT_TOKEN = 'kube-emulator-token';

export async function startKubeEmulator(options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const now = options.now ?? Date.now;
  const store = new ObjectStore(options.historySize ?? 10_000);
  const service = new ResourceService(store, now);
  const faults = new FaultInjector();
  const watches = new WatchHub(service, {
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    defaultTimeoutSeconds: options.defaultWatchTimeoutSeconds ?? 1800,
    maxBacklogBytes: options.maxWatchBacklogBytes ?? 256 * 1024 * 1024,
    now,
  });
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? DEFAULT_TOKEN;
  let url = '';
  const tokens = new ServiceAccountTokenIssuer(
    () => options.serviceAccountIssuer ?? url,
    () => `${url}${OIDC_JWKS_PATH}`,
    now,
  );

  const admin: EmulatorAdmin = {
    closeAllWatches: () => watches.closeAll(),
    expireNextWatch: (count = 1) => watches.expireNext(count),
    failNextRequests: (o) => faults.failNextRequests(o),
    setLatency: (ms) => faults.setLatency(ms),
    compactHistory: () => store.compactHistory(),
    clearFaults: () => faults.clear(),
    get openWatches() {
      return watches.activeCount;
    },
    get resourceVersion() {
      return store.currentRevision;
    },
  };

  const server: Server = createServer(
    createRequestHandler({
      service,
      watches,
      faults,
      now,
      token: options.requireToken === true ? token : undefined,
      serverAddress: () => url.replace(/^https?:\/\//, ''),
      admin: (action, body) => runAdminAction(admin, action, body),
      tokens,
    }),
  );
  // Watches are long-lived; the default request timeout must not cut them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${hostForUrl}:${address.port}`;
  const kubeconfig = buildKubeconfig(url, token);
  const kubeconfigPath = writeKubeconfig(kubeconfig, options.kubeconfigPath);

  return {
    url,
    serviceAccountIssuer: options.serviceAccountIssuer ?? url,
    kubeconfig,
    kubeconfigPath,
    admin,
    close: async () => {
      service.stop();
      watches.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.kubeconfigPath === undefined) rmSync(dirname(kubeconfigPath), { recursive: true, force: true });
    },
  };
}

/** The HTTP admin endpoints (`POST /__emulator/<action>`), for faults from another process. */
function runAdminAction(admin: EmulatorAdmin, action: string, body: KubeObject): KubeObject {
  switch (action) {
    case 'close-watches':
      return { closed: admin.closeAllWatches() };
    case 'expire-next-watch':
      admin.expireNextWatch(Number(body['count'] ?? 1));
      return {};
    case 'fail-requests':
      try {
        admin.failNextRequests(body as FailRequestsOptions);
      } catch (e) {
        throw badRequest(e instanceof Error ? e.message : String(e));
      }
      return {};
    case 'latency':
      admin.setLatency(Number(body['ms'] ?? 0));
      return {};
    case 'compact-history':
      admin.compactHistory();
      return {};
    case 'clear-faults':
      admin.clearFaults();
      return {};
    default:
      throw notFound(
        { group: '', plural: 'emulator-actions' } satisfies Pick<ResourceType, 'group' | 'plural'>,
        action,
      );
  }
}
