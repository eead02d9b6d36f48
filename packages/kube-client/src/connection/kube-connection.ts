import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  createConfiguration,
  HttpMethod,
  KubeConfig,
  type RequestContext,
  RequestContext as RequestContextClass,
  ServerConfiguration,
  Watch,
} from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { createClientRateLimiter, type RequestRateLimiter } from './rate-limiter.js';

export interface KubeConnectionOptions {
  kubeConfig: KubeConfig;
  /** Sent on every request, API calls and watches alike (spec §5.3); see `formatUserAgent`. */
  userAgent: string;
  /** `--clientQps` (default 5; 0 = default; negative = unlimited). Ignored when `rateLimiter` is given. */
  qps?: number;
  /** Token-bucket burst; upstream MIC uses Burst = QPS. Ignored when `rateLimiter` is given. */
  burst?: number;
  rateLimiter?: RequestRateLimiter;
  /** Abort non-watch requests that take longer than this (default 60 s) so a hung socket cannot stall a loop. */
  requestTimeoutMs?: number;
  clock?: Clock;
}

/** Typed API clients and a watch that all share one user agent, one rate limiter and one set of credentials. */
export interface KubeConnection {
  /** The instrumented config: anything built from it (e.g. another client-node API) inherits the policy. */
  readonly kubeConfig: KubeConfig;
  readonly userAgent: string;
  readonly rateLimiter: RequestRateLimiter;
  readonly core: CoreV1Api;
  readonly customObjects: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  readonly watch: Watch;
  /** A raw JSON GET through the same policy (informers list with it to get wire-format objects, not model classes). */
  getJson(path: string, query?: Record<string, string | undefined>): Promise<unknown>;
  /** Any other client-node API class, with the same policy. */
  makeApiClient<T>(apiClass: new (configuration: ReturnType<typeof createConfiguration>) => T): T;
}

/** An undici dispatcher, as far as sharing one needs. */
interface Dispatcher {
  close(): Promise<void>;
}

/** The part of client-node's KubeConfig that builds a request's undici dispatcher (private in its typings). */
interface DispatcherFactory {
  createDispatcher(cluster: unknown, agentOptions: unknown): Dispatcher | undefined;
  createDispatcherOptions(cluster: unknown, agentOptions: unknown): unknown;
}

const sharingDispatchers = new WeakSet<KubeConfig>();
/** Distinct TLS configurations kept at once; more only happens when certificates rotate. */
const MAX_SHARED_DISPATCHERS = 4;

/** An evicted dispatcher is closed only after requests that were just handed it have had time to start. */
const EVICTED_DISPATCHER_CLOSE_DELAY_MS = 60_000;

function fingerprint(options: unknown): string {
  // `this[key]` is the value before its own toJSON ran: a Buffer, rather than `{ type: 'Buffer', data: [...] }`.
  const json = JSON.stringify(options, function replace(this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    return Buffer.isBuffer(original) ? original.toString('base64') : value;
  });
  return createHash('sha256')
    .update(json ?? '')
    .digest('hex');
}

/**
 * client-node 2.0 builds a new undici Agent for every request whenever the cluster has any TLS setting (a CA, a
 * client certificate, or insecure-skip-tls-verify), so every API call opened a new connection: a TLS handshake per
 * write against a real API server, and thousands of idle keep-alive sockets after a burst. Here one dispatcher is
 * kept per distinct TLS configuration (compared by content, so a rotated certificate gets a new one and the oldest
 * is closed). The config object is patched in place, once.
 */
function shareDispatchers(config: KubeConfig): void {
  if (sharingDispatchers.has(config)) return;
  sharingDispatchers.add(config);
  const factory = config as unknown as DispatcherFactory;
  const create = factory.createDispatcher.bind(config);
  const shared = new Map<string, Dispatcher | undefined>();
  factory.createDispatcher = (cluster, agentOptions) => {
    const key = fingerprint(factory.createDispatcherOptions(cluster, agentOptions));
    if (shared.has(key)) {
      const known = shared.get(key);
      // Most recently used last, so eviction takes the configuration unused the longest.
      shared.delete(key);
      shared.set(key, known);
      return known;
    }
    const dispatcher = create(cluster, agentOptions);
    shared.set(key, dispatcher);
    for (const [oldKey, old] of shared) {
      if (shared.size <= MAX_SHARED_DISPATCHERS) break;
      shared.delete(oldKey);
      // close() lets requests under way finish, but one handed this dispatcher a moment ago may not have started.
      setTimeout(() => void old?.close().catch(() => {}), EVICTED_DISPATCHER_CLOSE_DELAY_MS).unref();
    }
    return dispatcher;
  };
}

/**
 * client-node applies `KubeConfig.applySecurityAuthentication` exactly once per request, in its generated API clients
 * and in `Watch`, so that is the one place where a rate limit and a user agent reach every request. The generated
 * clients' default middleware would overwrite the user agent afterwards, so clients are built without it.
 */
class PolicyKubeConfig extends KubeConfig {
  constructor(
    private readonly base: KubeConfig,
    private readonly policy: { userAgent: string; rateLimiter: RequestRateLimiter; requestTimeoutMs: number },
  ) {
    super();
    shareDispatchers(base);
    this.loadFromOptions({
      clusters: base.getClusters(),
      users: base.getUsers(),
      contexts: base.getContexts(),
      currentContext: base.getCurrentContext(),
    });
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.policy.rateLimiter.acquire();
    await this.base.applySecurityAuthentication(context);
    context.setHeaderParam('User-Agent', this.policy.userAgent);
    if (!context.getSignal()) context.setSignal(AbortSignal.timeout(this.policy.requestTimeoutMs));
  }
}

export function createKubeConnection(options: KubeConnectionOptions): KubeConnection {
  const rateLimiter =
    options.rateLimiter ??
    createClientRateLimiter({
      ...(options.qps === undefined ? {} : { qps: options.qps }),
      ...(options.burst === undefined ? {} : { burst: options.burst }),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  const kubeConfig = new PolicyKubeConfig(options.kubeConfig, {
    userAgent: options.userAgent,
    rateLimiter,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
  });
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
  });
  const makeApiClient = <T>(apiClass: new (c: typeof configuration) => T): T => new apiClass(configuration);

  const getJson = async (path: string, query: Record<string, string | undefined> = {}): Promise<unknown> => {
    const url = new URL(cluster.server + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    const request = new RequestContextClass(url.toString(), HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json');
    await kubeConfig.applySecurityAuthentication(request);
    const response = await configuration.httpApi.send(request).toPromise();
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new ApiException(
        response.httpStatusCode,
        `GET ${path} failed with HTTP ${response.httpStatusCode}`,
        text,
        response.headers,
      );
    }
    return JSON.parse(text) as unknown;
  };

  return {
    kubeConfig,
    userAgent: options.userAgent,
    rateLimiter,
    core: makeApiClient(CoreV1Api),
    customObjects: makeApiClient(CustomObjectsApi),
    coordination: makeApiClient(CoordinationV1Api),
    watch: new Watch(kubeConfig),
    getJson,
    makeApiClient,
  };
}
