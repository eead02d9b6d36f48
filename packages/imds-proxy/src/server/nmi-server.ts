import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactClientId } from '@podid/crd-types';
import { systemClock } from '../lookup/system-clock.js';
import { canonicalCallerIp } from '../routing/caller-address.js';
import { boundedMemo } from '../routing/bounded-memo.js';
import { type ClassifiedRoute, classifyRoute } from '../routing/classify-route.js';
import { splitRequestTarget } from '../routing/normalise-path.js';
import { parseTokenQuery } from '../routing/token-query.js';
import { type SelectorQuery, withObjectId } from '../lookup/object-id-query.js';
import { createAadNetworkClient } from '../token/aad-network-client.js';
import { createAadTokenClient } from '../token/aad-token-client.js';
import { FairUpstreamLimiter } from '../token/fair-upstream-limiter.js';
import { IdentityTokenProvider } from '../token/identity-token-provider.js';
import { createImdsTokenClient } from '../token/imds-token-client.js';
import { TokenCache } from '../token/token-cache.js';
import { hasMetadataHeader, sendError, sendErrorText, sendMetadataHeaderRequired } from './http-answers.js';
import { handleHostTokenRoute } from './host-token-route.js';
import { createPassThroughProxy } from './imds-pass-through.js';
import type { NmiServerOptions, ResolvedNmiOptions } from './nmi-server-options.js';
import { RouteContext, type RouteOutcome } from './route-context.js';
import { answerCachedTokenNow, handleTokenRoute } from './token-route.js';

export interface NmiServer {
  /** The node:http server (listen on it yourself, or use `listen`). */
  readonly server: http.Server;
  /** Request listener, for embedding in another server. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** The token cache, when enabled (diagnostics, tests). */
  readonly tokenCache: TokenCache | undefined;
  readonly limiter: FairUpstreamLimiter;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

const BLOCKED_MESSAGE = 'Request blocked by AAD Pod Identity NMI';
const TOKEN_ROUTE_PATH = '/metadata/identity/oauth2/token';
const HOST_TOKEN_ROUTE_PATH = '/host/token';

function resolveOptions(options: NmiServerOptions): ResolvedNmiOptions {
  const clock = options.clock ?? systemClock;
  const forceNamespaced = options.identities.mode === 'managed' ? true : (options.forceNamespaced ?? false);
  return {
    ...options,
    podResolution: {
      pods: options.pods,
      clock,
      attempts: Math.max(1, options.podLookupAttempts ?? 5),
      retryIntervalMs: options.podLookupRetryIntervalMs ?? 300,
      onFailedAttempt: () => options.metrics?.kubernetesApiOperationError('get_pod_list'),
    },
    identityLookup:
      options.identities.mode === 'standard'
        ? {
            mode: 'standard',
            lookup: {
              source: options.identities,
              clock,
              retryAttemptsForCreated: options.retryAttemptsForCreated ?? 16,
              retryAttemptsForAssigned: options.retryAttemptsForAssigned ?? 4,
              retryIntervalMs: (options.findIdentityRetryIntervalSeconds ?? 5) * 1000,
              forceNamespaced,
            },
          }
        : { mode: 'managed', source: options.identities },
    forceNamespaced,
    micNamespace: options.micNamespace ?? 'default',
    metadataHeaderRequired: options.metadataHeaderRequired ?? true,
    blockInstanceMetadata: options.blockInstanceMetadata ?? false,
    setRetryAfterHeader: options.setRetryAfterHeader ?? false,
    errorFormat: options.errorFormat ?? 'json',
    retryAttemptsForCreated: options.retryAttemptsForCreated ?? 16,
    retryAttemptsForAssigned: options.retryAttemptsForAssigned ?? 4,
    findIdentityRetryIntervalSeconds: options.findIdentityRetryIntervalSeconds ?? 5,
    podLookupAttempts: Math.max(1, options.podLookupAttempts ?? 5),
    podLookupRetryIntervalMs: options.podLookupRetryIntervalMs ?? 300,
    queueFullRetryAfterSeconds: options.queueFullRetryAfterSeconds ?? 1,
    clock,
  };
}

/** A request target split, routed and (for the token routes) its query read; memoised per distinct target. */
interface RequestTarget {
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly route: ClassifiedRoute;
  readonly tokenQuery: SelectorQuery;
}

function parseRequestTarget(target: string): RequestTarget {
  const { rawPath, rawQuery } = splitRequestTarget(target);
  return {
    rawPath,
    rawQuery,
    route: classifyRoute(rawPath),
    tokenQuery: withObjectId(parseTokenQuery(rawQuery), rawQuery),
  };
}

function isAllowedPath(foldedPath: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => {
    const prefix = entry.toLowerCase().replace(/\/+$/, '');
    return foldedPath === prefix || foldedPath === `${prefix}/` || foldedPath.startsWith(`${prefix}/`);
  });
}

/**
 * The NMI HTTP server (§3): routes, pod identification, identity lookup, token acquisition and the token cache.
 * All cluster reads come through the injected lookups, so it runs the same against informers or test data.
 */
export function createNmiServer(input: NmiServerOptions): NmiServer {
  const options = resolveOptions(input);
  const aadNetwork =
    options.aadNetworkClient === undefined
      ? createAadNetworkClient(options.aadCa ? { ca: options.aadCa } : {})
      : undefined;
  const imds = createImdsTokenClient({
    baseUrl: options.imdsBaseUrl,
    clock: options.clock,
    ...(options.imdsMaxAttempts !== undefined ? { maxAttempts: options.imdsMaxAttempts } : {}),
    ...(options.imdsRetryDelayMs !== undefined ? { retryDelayMs: options.imdsRetryDelayMs } : {}),
    ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
  });
  const aad = createAadTokenClient({ clock: options.clock, networkClient: options.aadNetworkClient ?? aadNetwork! });
  const tokenCache =
    options.tokenCache === false
      ? undefined
      : new TokenCache({
          clock: options.clock,
          ...options.tokenCache,
          onBackgroundRefreshError: () => options.metrics?.tokenCache?.('refresh_error'),
        });
  const limiter = new FairUpstreamLimiter(options.upstreamConcurrency);
  const tokens = new IdentityTokenProvider({
    imds,
    aad,
    secrets: options.secrets,
    limiter,
    clock: options.clock,
    ...(tokenCache ? { cache: tokenCache } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const proxy = createPassThroughProxy(options.imdsBaseUrl, { errorFormat: options.errorFormat });
  // SDKs send the same few request targets from the same few addresses over and over: parse each once.
  const requestTargetOf = boundedMemo(parseRequestTarget);
  const callerIpOf = boundedMemo(canonicalCallerIp);

  function passThrough(
    req: IncomingMessage,
    res: ServerResponse,
    normalisedPath: string,
    foldedPath: string,
    rawQuery: string,
  ) {
    if (options.metadataHeaderRequired && !hasMetadataHeader(req.headers['metadata'])) {
      sendMetadataHeaderRequired(res);
      return;
    }
    if (options.allowedMetadataPaths) {
      if (!isAllowedPath(foldedPath, options.allowedMetadataPaths)) {
        sendErrorText(res, 403, BLOCKED_MESSAGE);
        return;
      }
      // Forward the spelling that was checked, so IMDS cannot read a different path than the allow-list did.
      proxy.forward(req, res, `${normalisedPath}${rawQuery ? `?${rawQuery}` : ''}`);
      return;
    }
    proxy.forward(req, res, req.url ?? '/');
  }

  function runTokenRoute(
    req: IncomingMessage,
    res: ServerResponse,
    routePath: string,
    target: RequestTarget,
    handler: (context: RouteContext) => Promise<RouteOutcome>,
    answerNow?: (context: RouteContext) => RouteOutcome | undefined,
  ): void {
    const started = performance.now();
    const remoteAddress = req.socket.remoteAddress;
    const callerIp = remoteAddress ? callerIpOf(remoteAddress) : undefined;
    const context = new RouteContext(req, res, target.tokenQuery, callerIp, options, tokens);
    const rawPath = target.rawPath;
    const finish = (outcome: RouteOutcome) => {
      if (options.metrics || options.onRequest) {
        report(req, routePath, rawPath, callerIp, outcome, (performance.now() - started) / 1000);
      }
    };
    let immediate: RouteOutcome | undefined;
    try {
      immediate = answerNow?.(context);
    } catch (error) {
      // Defensive, as below: a bug in the fast path is a 500 for this request, never a crash of the server.
      sendError(res, 500, error instanceof Error ? error.message : String(error), options.errorFormat);
      finish({ status: 500, errorCode: 'internal' });
      return;
    }
    if (immediate) {
      finish(immediate);
      return;
    }
    res.on('close', () => {
      if (!res.writableFinished) context.clientDisconnected();
    });
    handler(context).then(finish, (error: unknown) => {
      // Defensive: handlers answer their own errors; anything reaching here is a bug, never a crash.
      sendError(res, 500, error instanceof Error ? error.message : String(error), options.errorFormat);
      finish({ status: 500, errorCode: 'internal' });
    });
  }

  function report(
    req: IncomingMessage,
    routePath: string,
    rawPath: string,
    callerIp: string | undefined,
    outcome: RouteOutcome,
    seconds: number,
  ): void {
    options.metrics?.nmiOperation(
      {
        operationType: routePath,
        statusCode: String(outcome.status),
        namespace: outcome.podNamespace ?? '',
        resource: outcome.resource ?? '',
      },
      seconds,
    );
    options.onRequest?.({
      method: req.method ?? '',
      path: rawPath,
      route: routePath,
      remote: callerIp ?? req.socket.remoteAddress ?? '',
      status: outcome.status,
      durationMs: seconds * 1000,
      ...(outcome.podNamespace !== undefined ? { podNamespace: outcome.podNamespace } : {}),
      ...(outcome.podName !== undefined ? { podName: outcome.podName } : {}),
      ...(outcome.identity !== undefined ? { identity: outcome.identity } : {}),
      ...(outcome.clientId !== undefined ? { clientId: redactClientId(outcome.clientId) } : {}),
      ...(outcome.cache !== undefined ? { cache: outcome.cache } : {}),
      ...(outcome.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
      ...(outcome.message !== undefined ? { message: outcome.message } : {}),
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const target = requestTargetOf(req.url ?? '/');
    const { route, rawQuery } = target;
    switch (route.kind) {
      case 'token':
        runTokenRoute(req, res, TOKEN_ROUTE_PATH, target, handleTokenRoute, answerCachedTokenNow);
        return;
      case 'invalid-token-path':
        sendErrorText(res, 400, 'Invalid request');
        return;
      case 'host-token':
        runTokenRoute(req, res, HOST_TOKEN_ROUTE_PATH, target, handleHostTokenRoute);
        return;
      case 'instance':
        if (options.blockInstanceMetadata) {
          sendErrorText(res, 403, BLOCKED_MESSAGE);
          return;
        }
        passThrough(req, res, route.normalisedPath, route.foldedPath, rawQuery);
        return;
      case 'pass-through':
        passThrough(req, res, route.normalisedPath, route.foldedPath, rawQuery);
        return;
    }
  }

  const server = http.createServer({ keepAlive: true }, handle);

  return {
    server,
    handle,
    tokenCache,
    limiter,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      imds.close();
      proxy.close();
      await aadNetwork?.close();
    },
  };
}
