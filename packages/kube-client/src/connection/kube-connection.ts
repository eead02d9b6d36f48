import type { Clock } from '../clock.js';
import { KubeClientError } from '../errors.js';
import { ConnectionPools } from './connection-pool.js';
import { sendRequest } from './http-request.js';
import type { KubeClientConfig } from './kube-config.js';
import { createClientRateLimiter, type RequestRateLimiter } from './rate-limiter.js';
import { openWatch, type WatchDone, type WatchEventHandler } from './watch-stream.js';

export interface KubeConnectionOptions {
  kubeConfig: KubeClientConfig;
  /** Sent on every request, API calls and watches alike (spec §5.3); see `formatUserAgent`. */
  userAgent: string;
  /** `--clientQps` (default 5; 0 = default; negative = unlimited). Ignored when `rateLimiter` is given. */
  qps?: number;
  /** Token-bucket burst; upstream MIC uses Burst = QPS. Ignored when `rateLimiter` is given. */
  burst?: number;
  rateLimiter?: RequestRateLimiter;
  /** Abort non-watch requests that take longer than this (default 60 s) so a hung socket cannot stall a loop. */
  requestTimeoutMs?: number;
  /** A watch that receives nothing for this long is ended with a `TimeoutError` (default 30 s, as client-node). */
  watchInactivityTimeoutMs?: number;
  clock?: Clock;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Content types of the three Kubernetes patch flavours. */
export const PatchType = {
  JsonPatch: 'application/json-patch+json',
  MergePatch: 'application/merge-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
} as const;

export interface KubeRequest {
  method: HttpMethod;
  /** Path below the server URL, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Default `application/json`; a `PatchType` for PATCH. */
  contentType?: string;
}

/** A watch on one collection: `onEvent(type, object)` per event, `done(error)` once when it ends for any reason. */
export interface KubeWatch {
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: WatchEventHandler,
    done: WatchDone,
  ): Promise<AbortController>;
}

/** One API server, one user agent, one rate limiter and one set of credentials for every request and watch. */
export interface KubeConnection {
  readonly kubeConfig: KubeClientConfig;
  readonly server: string;
  readonly userAgent: string;
  readonly rateLimiter: RequestRateLimiter;
  /**
   * One API call: resolves with the parsed JSON answer (undefined for an empty one); a non-2xx answer rejects with
   * `KubeClientError` `KUBE_REQUEST_FAILED` carrying `statusCode` and the server's `body`.
   */
  request<T = unknown>(request: KubeRequest): Promise<T>;
  /** A JSON GET (informers list with it, so objects stay in wire format). */
  getJson(path: string, query?: Record<string, string | undefined>): Promise<unknown>;
  readonly watch: KubeWatch;
}

/** Pools are per configuration object, so two connections made from one config (MIC's, its Lease's) share them. */
const poolsByConfig = new WeakMap<KubeClientConfig, ConnectionPools>();

export function connectionPoolsOf(kubeConfig: KubeClientConfig): ConnectionPools {
  let pools = poolsByConfig.get(kubeConfig);
  if (pools === undefined) {
    pools = new ConnectionPools();
    poolsByConfig.set(kubeConfig, pools);
  }
  return pools;
}

export function createKubeConnection(options: KubeConnectionOptions): KubeConnection {
  const { kubeConfig, userAgent } = options;
  const rateLimiter =
    options.rateLimiter ??
    createClientRateLimiter({
      ...(options.qps === undefined ? {} : { qps: options.qps }),
      ...(options.burst === undefined ? {} : { burst: options.burst }),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const pools = connectionPoolsOf(kubeConfig);

  const urlOf = (path: string, query: Record<string, string | number | boolean | undefined> = {}) => {
    const url = new URL(kubeConfig.server + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  };

  /** The policy every request passes: a rate-limiter token, fresh credentials, the user agent. */
  const prepare = async (url: URL, extraHeaders: Record<string, string>) => {
    await rateLimiter.acquire();
    const credentials = await kubeConfig.credentials();
    return {
      agent: pools.agentFor(url, credentials.tls),
      headers: { Accept: 'application/json', ...credentials.headers, ...extraHeaders, 'User-Agent': userAgent },
    };
  };

  const request = async <T>(call: KubeRequest): Promise<T> => {
    const url = urlOf(call.path, call.query);
    const body = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
    const { agent, headers } = await prepare(
      url,
      body === undefined ? {} : { 'Content-Type': call.contentType ?? 'application/json' },
    );
    const answer = await sendRequest({
      method: call.method,
      url,
      agent,
      headers,
      body,
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    if (answer.status < 200 || answer.status > 299) {
      throw new KubeClientError(
        'KUBE_REQUEST_FAILED',
        `${call.method} ${call.path} failed with HTTP ${answer.status}`,
        {
          statusCode: answer.status,
          body: answer.text,
        },
      );
    }
    if (answer.text === '') return undefined as T;
    try {
      return JSON.parse(answer.text) as T;
    } catch (cause) {
      throw new KubeClientError('KUBE_REQUEST_FAILED', `${call.method} ${call.path} answered with invalid JSON`, {
        statusCode: answer.status,
        cause,
      });
    }
  };

  const watch: KubeWatch = {
    watch: async (path, query, onEvent, done) => {
      const url = urlOf(path, { ...query, watch: 'true' });
      let prepared: Awaited<ReturnType<typeof prepare>>;
      try {
        prepared = await prepare(url, {});
      } catch (error) {
        done(error);
        return new AbortController();
      }
      return openWatch({
        url,
        ...prepared,
        inactivityTimeoutMs: options.watchInactivityTimeoutMs ?? 30_000,
        onEvent,
        done,
      });
    },
  };

  return {
    kubeConfig,
    server: kubeConfig.server,
    userAgent,
    rateLimiter,
    request,
    getJson: (path, query = {}) => request({ method: 'GET', path, query }),
    watch,
  };
}
