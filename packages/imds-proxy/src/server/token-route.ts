import type { AzurePodIdentityException, Pod } from '@podid/crd-types';
import { isExcepted } from '@podid/matcher';
import { NmiError } from '../errors.js';
import { isImmediate } from '../lookup/lookups.js';
import { isMicPod } from '../lookup/mic-short-circuit.js';
import { liveCallerPods, resolveCallerPod } from '../lookup/resolve-caller-pod.js';
import { type TokenSet, msiResponseObject } from '../token/issued-token.js';
import type { ProvidedTokens } from '../token/identity-token-provider.js';
import { answerWithError, asNmiError } from './error-status.js';
import { selectByObjectId } from './object-id-selection.js';
import { hasMetadataHeader, sendError, sendJson, sendMetadataHeaderRequired } from './http-answers.js';
import {
  type RouteContext,
  type RouteOutcome,
  identityForPod,
  identityForPodIfReady,
  identityLabel,
} from './route-context.js';

/** `expires_in` as seconds left now: a cached token must not claim its original lifetime. */
function remainingSeconds(expiresOn: string, nowMs: number): string {
  return String(Math.max(0, Number(expiresOn) - Math.floor(nowMs / 1000)));
}

/**
 * Serialised answers to cache hits, per token set: the body only changes when `expires_in` ticks down a second,
 * so a busy pod's repeated requests reuse one string instead of re-serialising a ~1.5 kB token every time.
 */
const servedBodies = new WeakMap<TokenSet, { resource: string; second: number; body: string }>();

export function tokenResponseBody(provided: ProvidedTokens, resource: string, nowMs: number): string {
  if (provided.cache !== 'hit') return serialiseTokens(provided, resource, nowMs);
  const second = Math.floor(nowMs / 1000);
  const memo = servedBodies.get(provided.set);
  if (memo && memo.second === second && memo.resource === resource) return memo.body;
  const body = serialiseTokens(provided, resource, nowMs);
  servedBodies.set(provided.set, { resource, second, body });
  return body;
}

function serialiseTokens(provided: ProvidedTokens, resource: string, nowMs: number): string {
  const objects = provided.set.tokens.map((token) =>
    msiResponseObject(
      token,
      resource,
      provided.cache === 'hit' ? remainingSeconds(token.expiresOn, nowMs) : token.expiresIn,
    ),
  );
  // Multi-tenant service principals answer with an array, primary tenant first (§3.10).
  return JSON.stringify(objects.length === 1 ? objects[0] : objects);
}

/** §3.8: exception pods and MIC's own pods get the node's tokens straight from IMDS. */
function servedAsNode(pod: Pod, exceptions: readonly AzurePodIdentityException[], micNamespace: string): boolean {
  return isExcepted(pod, exceptions) || isMicPod(pod, micNamespace);
}

/**
 * The cached-token fast path: `handleTokenRoute`'s checks, in its order, made synchronously. It answers only when
 * every lookup answers from memory (informer caches do), the pod has exactly one usable identity ready, and its
 * token is in the cache; otherwise it returns undefined having written nothing, and `handleTokenRoute` runs from
 * the start and gives the full answer (waits, retries, errors). It exists because the path every busy pod takes on
 * every request should not pay for a chain of promises, a disconnect listener and the objects the slow path needs.
 */
export function answerCachedTokenNow(context: RouteContext): RouteOutcome | undefined {
  const { req, res, query, options, callerIp } = context;
  const resource = query.resource;
  // The object ID selector is checked against each candidate's tokens: always the full route.
  if (!callerIp || !resource || query.objectId) return undefined;
  if (options.metadataHeaderRequired && !hasMetadataHeader(req)) return undefined;
  let pod: Pod | undefined;
  let provided: ProvidedTokens | undefined;
  let identity: ReturnType<typeof identityForPodIfReady>;
  try {
    const candidates = options.pods.podsByIp(callerIp);
    if (!isImmediate(candidates)) return undefined;
    const live = liveCallerPods(candidates, callerIp);
    if (live.length !== 1) return undefined;
    pod = live[0] as Pod;
    const exceptions = options.exceptions.exceptionsInNamespace(pod.metadata.namespace);
    if (!isImmediate(exceptions) || servedAsNode(pod, exceptions, options.micNamespace)) return undefined;
    identity = identityForPodIfReady(context, pod, query);
    if (!identity) return undefined;
    provided = context.tokens.peekIdentity(identity, resource, callerIp, pod);
    if (!provided) return undefined;
  } catch {
    // A lookup that throws: the full path repeats it and answers with the error.
    return undefined;
  }
  sendJson(res, 200, tokenResponseBody(provided, resource, options.clock.now()));
  return {
    status: 200,
    resource,
    podNamespace: pod.metadata.namespace,
    podName: pod.metadata.name,
    identity: identityLabel(identity),
    clientId: identity.spec.clientID ?? '',
    cache: provided.cache,
  };
}

/** §3.5: `/metadata/identity/oauth2/token` for pods, identified by source IP. */
export async function handleTokenRoute(context: RouteContext): Promise<RouteOutcome> {
  // `context.signal` is read only where needed: creating it costs more than the whole cached-token path.
  const { req, res, query, options } = context;
  if (options.metadataHeaderRequired && !hasMetadataHeader(req)) {
    sendMetadataHeaderRequired(res);
    return { status: 400, errorCode: 'metadata-header-missing' };
  }
  if (!context.callerIp) {
    sendError(res, 500, 'request remote address is empty', options.errorFormat);
    return { status: 500, errorCode: 'caller-address-invalid' };
  }
  const resource = query.resource;
  if (!resource) {
    sendError(res, 400, 'parameter resource cannot be empty', options.errorFormat);
    return { status: 400, errorCode: 'resource-missing' };
  }
  const outcome: RouteOutcome = { status: 0, resource };
  const request = query;
  if (request.clientId) outcome.clientId = request.clientId;
  const errorOptions = {
    retryAfterOnLookupFailure: options.setRetryAfterHeader,
    queueFullRetryAfterSeconds: options.queueFullRetryAfterSeconds,
    errorFormat: options.errorFormat,
  };
  const fail = (error: NmiError, answerOptions = errorOptions): RouteOutcome => {
    outcome.status = answerWithError(res, error, answerOptions);
    outcome.errorCode = error.code;
    outcome.message = error.message;
    return outcome;
  };

  let pod: Pod;
  try {
    pod = await resolveCallerPod(context.callerIp, options.podResolution, context);
  } catch (error) {
    return fail(asNmiError(error, 'pod-lookup-failed', context));
  }
  outcome.podNamespace = pod.metadata.namespace;
  outcome.podName = pod.metadata.name;

  let excepted: boolean;
  try {
    const exceptions = await options.exceptions.exceptionsInNamespace(pod.metadata.namespace);
    excepted = servedAsNode(pod, exceptions, options.micNamespace);
  } catch (error) {
    return fail(asNmiError(error, 'exceptions-lookup-failed', context));
  }

  const caller = { key: context.callerIp, abortable: context };
  if (excepted) {
    // §3.8: straight from IMDS, by client_id or the VM's system identity; every failure is a 403 upstream.
    try {
      const provided = await context.tokens.forNode(request.clientId, resource, caller, request.objectId);
      outcome.cache = provided.cache;
      sendJson(res, 200, tokenResponseBody(provided, resource, options.clock.now()));
      outcome.status = 200;
      return outcome;
    } catch (error) {
      const nmiError = asNmiError(error, 'token-unavailable', context);
      if (nmiError.code === 'request-aborted' || nmiError.code === 'upstream-queue-full') return fail(nmiError);
      return fail(
        new NmiError('token-refused', `failed to get service principal token, error: ${nmiError.message}`, {
          cause: nmiError,
        }),
      );
    }
  }

  if (request.objectId) {
    try {
      const selected = await selectByObjectId(context, pod.metadata.namespace, pod.metadata.name, pod, request, caller);
      outcome.identity = identityLabel(selected.identity);
      outcome.clientId = selected.identity.spec.clientID ?? '';
      outcome.cache = selected.provided.cache;
      sendJson(res, 200, tokenResponseBody(selected.provided, resource, options.clock.now()));
      outcome.status = 200;
      return outcome;
    } catch (error) {
      return fail(asNmiError(error, 'identity-not-found', context));
    }
  }

  let identity: Awaited<ReturnType<typeof identityForPod>>;
  try {
    identity = await identityForPod(context, pod.metadata.namespace, pod.metadata.name, pod, request);
  } catch (error) {
    return fail(asNmiError(error, 'identity-not-found', context));
  }
  outcome.identity = identityLabel(identity);
  outcome.clientId = identity.spec.clientID ?? '';

  try {
    const provided = await context.tokens.forIdentity(identity, resource, caller, pod);
    outcome.cache = provided.cache;
    sendJson(res, 200, tokenResponseBody(provided, resource, options.clock.now()));
    outcome.status = 200;
    return outcome;
  } catch (error) {
    return fail(asNmiError(error, 'token-unavailable', context));
  }
}
