import { IdentityType } from '@podid/crd-types';
import { NmiError } from '../errors.js';
import { isHostLoopback } from '../routing/caller-address.js';
import { msiResponseObject } from '../token/issued-token.js';
import type { ProvidedTokens } from '../token/identity-token-provider.js';
import { answerWithError, asNmiError } from './error-status.js';
import { selectByObjectId } from './object-id-selection.js';
import { sendError, sendJson } from './http-answers.js';
import { type RouteContext, type RouteOutcome, identityForPod, identityLabel } from './route-context.js';

function headerText(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** §3.6: `/host/token` for host-network processes that name the pod in headers. */
export async function handleHostTokenRoute(context: RouteContext): Promise<RouteOutcome> {
  const { req, res, query, options } = context;
  const podNamespace = headerText(req.headers['podns']);
  const podName = headerText(req.headers['podname']);
  if (!podNamespace || !podName) {
    sendError(res, 400, "missing 'podname' and 'podns' from request header", options.errorFormat);
    return { status: 400, errorCode: 'pod-headers-missing' };
  }
  if (!isHostLoopback(context.callerIp)) {
    sendError(res, 500, 'request remote address is not from a host', options.errorFormat);
    return { status: 500, errorCode: 'caller-not-host' };
  }
  const resource = query.resource;
  if (!resource) {
    sendError(res, 400, 'parameter resource cannot be empty', options.errorFormat);
    return { status: 400, errorCode: 'resource-missing' };
  }
  const outcome: RouteOutcome = { status: 0, resource, podNamespace, podName };
  const errorOptions = {
    retryAfterOnLookupFailure: false,
    queueFullRetryAfterSeconds: options.queueFullRetryAfterSeconds,
    errorFormat: options.errorFormat,
  };
  const fail = (error: NmiError): RouteOutcome => {
    outcome.status = answerWithError(res, error, errorOptions);
    outcome.errorCode = error.code;
    outcome.message = error.message;
    return outcome;
  };

  const caller = { key: `host:${podNamespace}/${podName}`, abortable: context };
  let identity: Awaited<ReturnType<typeof identityForPod>>;
  let selected: ProvidedTokens | undefined;
  try {
    if (query.objectId) {
      // As on the token route: only a token whose `oid` is the object ID asked for (see object-id-selection).
      const bySelector = await selectByObjectId(context, podNamespace, podName, undefined, query, caller);
      identity = bySelector.identity;
      selected = bySelector.provided;
    } else {
      identity = await identityForPod(context, podNamespace, podName, undefined, query);
    }
  } catch (error) {
    const nmiError = asNmiError(error, 'identity-not-found', context);
    // Every lookup failure is a 404 on this route, whatever its cause (no Retry-After option).
    if (nmiError.code === 'request-aborted') return fail(nmiError);
    return fail(new NmiError('identity-not-found', nmiError.message, { cause: nmiError }));
  }
  outcome.identity = identityLabel(identity);
  outcome.clientId = identity.spec.clientID ?? '';

  try {
    // A federated identity exchanges the pod's own service-account token, so it needs the pod object.
    const pod =
      identity.spec.type === IdentityType.FederatedIdentity
        ? await options.pods.podByName(podNamespace, podName)
        : undefined;
    const provided = selected ?? (await context.tokens.forIdentity(identity, resource, caller, pod));
    outcome.cache = provided.cache;
    const first = provided.set.tokens[0];
    if (!first) throw new NmiError('token-unavailable', 'no token returned');
    const expiresIn =
      provided.cache === 'hit'
        ? String(Math.max(0, Number(first.expiresOn) - Math.floor(options.clock.now() / 1000)))
        : first.expiresIn;
    // Only the primary token, even for a multi-tenant service principal (§3.10).
    sendJson(
      res,
      200,
      JSON.stringify({ token: msiResponseObject(first, resource, expiresIn), clientid: identity.spec.clientID ?? '' }),
    );
    outcome.status = 200;
    return outcome;
  } catch (error) {
    return fail(asNmiError(error, 'token-unavailable', context));
  }
}
