import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactClientId } from '@podid/crd-types';
import { systemClock } from '../lookup/system-clock.js';
import { canonicalCallerIp } from '../routing/caller-address.js';
import { boundedMemo } from '../routing/bounded-memo.js';
import {
  type CanonicalTarget,
  type ParsedTarget,
  isAllowedPath,
  parseAllowedPaths,
  parseRequestTarget,
} from '../routing/request-target.js';
import { parseTokenQuery } from '../routing/token-query.js';
import { type SelectorQuery, withObjectId } from '../lookup/object-id-query.js';
import { createAadNetworkClient } from '../token/aad-network-client.js';
import { createAadTokenClient } from '../token/aad-token-client.js';
import { FairUpstreamLimiter } from '../token/fair-upstream-limiter.js';
import { IdentityTokenProvider } from '../token/identity-token-provider.js';
import { ServiceAccountAssertions } from '../token/service-account-assertions.js';
import { createImdsTokenClient } from '../token/imds-token-client.js';
import { TokenCache } from '../token/token-cache.js';
import { answerInternalError, hasMetadataHeader, sendError, sendMetadataHeaderRequired } from './http-answers.js';
import { handleHostTokenRoute } from './host-token-route.js';
import { createPassThroughProxy } from './imds-pass-through.js';
import type { NmiServerOptions, ResolvedNmiOptions } from './nmi-server-options.js';
import type { RequestLogEntry } from '../observability.js';
import { RouteContext, type RouteOutcome } from './route-context.js';
import { CallerSlots } from './caller-slots.js';
import { answerWithError } from './error-status.js';
import { NmiError } from '../errors.js';
import { runInRequestScope } from '../request-scope.js';
import { answerCachedTokenNow, handleTokenRoute } from './token-route.js';

export interface NmiServer {
  /** The node:http server (listen on it yourself, or use `listen`). */
  readonly server: http.Server;
  /** Request listener, for embedding in another server. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** The token cache, when enabled (diagnostics, tests). */
  readonly tokenCache: TokenCache | undefined;
  readonly limiter: FairUpstreamLimiter;
  /** Token-route requests waiting now, and the callers they come from (diagnostics, tests). */
  readonly waitingRequests: { readonly requests: number; readonly callers: number };
  /** Connections open now, and the caller addresses they come from. */
  readonly openConnections: { readonly requests: number; readonly callers: number };
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

const BLOCKED_MESSAGE = 'Request blocked by AAD Pod Identity NMI';
const INVALID_REQUEST = 'Invalid request';
const TOO_MANY_WAITING = new NmiError(
  'too-many-waiting-requests',
  'too many token requests from this pod are waiting for an answer; retry later',
);
const TOO_MANY_IN_FLIGHT = 'too many metadata requests from this pod are in flight; retry later';
/** Pass-through requests one pod may have open at once (SDKs and agents send a few), and all pods together. */
const MAX_PASS_THROUGH_PER_POD = 16;
const MAX_PASS_THROUGH_TOTAL = 1024;
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
    maxWaitingRequestsPerPod: Math.max(1, options.maxWaitingRequestsPerPod ?? 100),
    maxWaitingRequests: Math.max(1, options.maxWaitingRequests ?? 5000),
    maxConnectionsPerPod: Math.max(1, options.maxConnectionsPerPod ?? 512),
    clock,
  };
}

/** A request target checked, routed and (for the token routes) its query read; memoised per distinct target. */
interface RequestTarget {
  readonly parsed: ParsedTarget;
  /** The query as the token routes read it (empty for refused targets: they never reach a token route). */
  readonly tokenQuery: SelectorQuery;
}

const NO_QUERY = withObjectId(parseTokenQuery(''), '');

function readRequestTarget(target: string): RequestTarget {
  const parsed = parseRequestTarget(target);
  const isTokenRoute = parsed.canonical && (parsed.route === 'token' || parsed.route === 'host-token');
  return {
    parsed,
    tokenQuery: isTokenRoute ? withObjectId(parseTokenQuery(parsed.rawQuery), parsed.rawQuery) : NO_QUERY,
  };
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
    ...(options.serviceAccountTokens
      ? { serviceAccountAssertions: new ServiceAccountAssertions(options.serviceAccountTokens, options.clock) }
      : {}),
    ...(options.federatedAuthorityHost ? { federatedAuthorityHost: options.federatedAuthorityHost } : {}),
  });
  const proxy = createPassThroughProxy(options.imdsBaseUrl, {
    errorFormat: options.errorFormat,
    maxSockets: MAX_PASS_THROUGH_TOTAL,
  });
  const passThroughSlots = new CallerSlots(MAX_PASS_THROUGH_PER_POD, MAX_PASS_THROUGH_TOTAL);
  const waiting = new CallerSlots(options.maxWaitingRequestsPerPod, options.maxWaitingRequests);
  const errorAnswerOptions = {
    retryAfterOnLookupFailure: false,
    queueFullRetryAfterSeconds: options.queueFullRetryAfterSeconds,
    errorFormat: options.errorFormat,
  };
  // Checked once at start: an entry that is not canonical could never match a canonical path as its writer meant.
  const allowedPaths = options.allowedMetadataPaths ? parseAllowedPaths(options.allowedMetadataPaths) : undefined;
  // SDKs send the same few request targets from the same few addresses over and over: parse each once. Long inputs
  // are not remembered, so a pod sending endless distinct targets cannot grow these (entries and bytes bounded).
  const requestTargetOf = boundedMemo(readRequestTarget, { capacity: 512, maxInputLength: 512 });
  const callerIpOf = boundedMemo(canonicalCallerIp, { capacity: 512, maxInputLength: 64 });
  // The same few client IDs on every logged answer: redact each once.
  const redactedClientIdOf = boundedMemo(redactClientId, { capacity: 512, maxInputLength: 128 });

  function passThrough(req: IncomingMessage, res: ServerResponse, target: CanonicalTarget): void {
    if (options.metadataHeaderRequired && !hasMetadataHeader(req)) {
      sendMetadataHeaderRequired(res);
      return;
    }
    if (allowedPaths && !isAllowedPath(target.foldedPath, allowedPaths)) {
      sendError(res, 403, BLOCKED_MESSAGE, options.errorFormat);
      return;
    }
    // A pod that never finishes its bodies (or never reads its answers) holds a connection to IMDS per request:
    // bounded per pod, so it cannot take every connection and starve the other pods' metadata requests.
    const remoteAddress = req.socket.remoteAddress ?? '';
    const callerKey = callerIpOf(remoteAddress) ?? remoteAddress;
    if (!passThroughSlots.tryEnter(callerKey)) {
      sendError(res, 429, TOO_MANY_IN_FLIGHT, options.errorFormat, {
        'Retry-After': String(options.queueFullRetryAfterSeconds),
      });
      return;
    }
    res.on('close', () => passThroughSlots.leave(callerKey));
    // Exactly the bytes that were checked and routed: IMDS cannot read a path NMI did not.
    proxy.forward(req, res, target.forwardTarget);
  }

  function runTokenRoute(
    req: IncomingMessage,
    res: ServerResponse,
    routePath: string,
    target: RequestTarget,
    handler: (context: RouteContext) => Promise<RouteOutcome>,
    answerNow?: (context: RouteContext) => RouteOutcome | undefined,
  ): void {
    const parsed = target.parsed as CanonicalTarget;
    const started = performance.now();
    const remoteAddress = req.socket.remoteAddress;
    const callerIp = remoteAddress ? callerIpOf(remoteAddress) : undefined;
    const context = new RouteContext(req, res, target.tokenQuery, callerIp, options, tokens);
    const rawPath = parsed.path;
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
      answerInternalError(res, options.errorFormat);
      options.onHandlerError?.(error);
      finish({ status: 500, errorCode: 'internal' });
      return;
    }
    if (immediate) {
      finish(immediate);
      return;
    }
    const waitingKey = callerIp ?? remoteAddress ?? '';
    if (!waiting.tryEnter(waitingKey)) {
      const status = answerWithError(res, TOO_MANY_WAITING, errorAnswerOptions);
      finish({ status, errorCode: TOO_MANY_WAITING.code });
      return;
    }
    res.on('close', () => {
      if (!res.writableFinished) context.clientDisconnected();
    });
    handler(context)
      .then(finish, (error: unknown) => {
        // Defensive: handlers answer their own errors; anything reaching here is a bug, never a crash.
        answerInternalError(res, options.errorFormat);
        options.onHandlerError?.(error);
        finish({ status: 500, errorCode: 'internal' });
      })
      .finally(() => waiting.leave(waitingKey));
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
    if (!options.onRequest) return;
    // Built by assignment, not conditional spreads: this runs on every answer, and each spread is an object.
    const entry: { -readonly [K in keyof RequestLogEntry]: RequestLogEntry[K] } = {
      method: req.method ?? '',
      path: rawPath,
      route: routePath,
      remote: callerIp ?? req.socket.remoteAddress ?? '',
      status: outcome.status,
      durationMs: seconds * 1000,
    };
    if (outcome.podNamespace !== undefined) entry.podNamespace = outcome.podNamespace;
    if (outcome.podName !== undefined) entry.podName = outcome.podName;
    if (outcome.identity !== undefined) entry.identity = outcome.identity;
    if (outcome.clientId !== undefined) entry.clientId = redactedClientIdOf(outcome.clientId);
    if (outcome.cache !== undefined) entry.cache = outcome.cache;
    if (outcome.errorCode !== undefined) entry.errorCode = outcome.errorCode;
    if (outcome.message !== undefined) entry.message = outcome.message;
    options.onRequest(entry);
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const target = requestTargetOf(req.url ?? '/');
    const parsed = target.parsed;
    if (!parsed.canonical) {
      // Upstream's answer to a token look-alike (route 2), for every target that is not in canonical form.
      sendError(res, 400, INVALID_REQUEST, options.errorFormat);
      options.onRefusedRequest?.({ remote: req.socket.remoteAddress ?? '', reason: parsed.reason });
      return;
    }
    switch (parsed.route) {
      case 'token':
        runTokenRoute(req, res, TOKEN_ROUTE_PATH, target, handleTokenRoute, answerCachedTokenNow);
        return;
      case 'invalid-token-path':
        sendError(res, 400, INVALID_REQUEST, options.errorFormat);
        options.onRefusedRequest?.({
          remote: req.socket.remoteAddress ?? '',
          reason: 'token endpoint look-alike or identity endpoint',
        });
        return;
      case 'host-token':
        runTokenRoute(req, res, HOST_TOKEN_ROUTE_PATH, target, handleHostTokenRoute);
        return;
      case 'instance':
        if (options.blockInstanceMetadata) {
          sendError(res, 403, BLOCKED_MESSAGE, options.errorFormat);
          return;
        }
        passThrough(req, res, parsed);
        return;
      case 'pass-through':
        passThrough(req, res, parsed);
        return;
    }
  }

  /**
   * No request can stop NMI: whatever a handler throws synchronously (a header value `http.request` refuses, a bug)
   * becomes a 500 for that request and a report, never an exception that unwinds into the HTTP server.
   */
  function handle(req: IncomingMessage, res: ServerResponse): void {
    runInRequestScope(() => {
      try {
        route(req, res);
      } catch (error) {
        answerInternalError(res, options.errorFormat);
        options.onHandlerError?.(error);
      }
    });
  }

  const server = http.createServer({ keepAlive: true }, handle);
  // Connections per caller address: a pod opening thousands (idle, or Slowloris-style with headers that never end)
  // would otherwise hold sockets, parsers and file descriptors until the server's header timeout.
  const connections = new CallerSlots(options.maxConnectionsPerPod, Number.POSITIVE_INFINITY);
  server.on('connection', (socket) => {
    const remote = socket.remoteAddress ?? '';
    const caller = callerIpOf(remote) ?? remote;
    if (!connections.tryEnter(caller)) {
      socket.destroy();
      options.onRefusedRequest?.({ remote, reason: 'too many connections from this address' });
      return;
    }
    socket.once('close', () => connections.leave(caller));
  });

  return {
    server,
    handle,
    tokenCache,
    limiter,
    get waitingRequests() {
      return waiting.size;
    },
    get openConnections() {
      return connections.size;
    },
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
