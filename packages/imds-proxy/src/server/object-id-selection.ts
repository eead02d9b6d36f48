import type { AzureIdentity, Pod } from '@podid/crd-types';
import { redactClientId } from '@podid/crd-types';
import { NmiError } from '../errors.js';
import type { SelectorQuery } from '../lookup/object-id-query.js';
import type { ProvidedTokens, TokenCaller } from '../token/identity-token-provider.js';
import { accessTokenObjectId } from '../token/token-claims.js';
import { type RouteContext, candidateIdentitiesForPod } from './route-context.js';

/**
 * Object IDs (lower case) learnt from the tokens issued for each identity object. Informer caches replace identity
 * objects on update rather than mutating them, so an entry can never outlive the clientID it was learnt for; and a
 * managed identity's object ID never changes for its client ID.
 */
const learntObjectIds = new WeakMap<AzureIdentity, string>();

export interface ObjectIdSelection {
  readonly identity: AzureIdentity;
  readonly provided: ProvidedTokens;
}

/**
 * Issue 15 item 1: the `object_id` selector. AzureIdentity carries no object ID, so NMI learns it from the tokens it
 * obtains for the pod's own identities (always by their clientID, as for any request, so the cache keys stay the
 * identity's) and serves a token only when its `oid` claim is the object ID asked for. Identities whose object ID is
 * already known are tried first and known mismatches never; unknown ones are tried in the usual order. The rule is
 * absolute: a token naming any other object is never answered to this selector. Nothing matching is a 404 like an
 * unknown client_id, unless a candidate could not be checked because its token failed: then that failure is
 * answered (it may be the identity asked for).
 */
export async function selectByObjectId(
  context: RouteContext,
  namespace: string,
  podName: string,
  knownPod: Pod | undefined,
  query: SelectorQuery,
  caller: TokenCaller,
): Promise<ObjectIdSelection> {
  const wanted = query.objectId.toLowerCase();
  const candidates = await candidateIdentitiesForPod(context, namespace, podName, knownPod, query);
  const known = candidates.filter((identity) => learntObjectIds.get(identity) === wanted);
  const unknown = candidates.filter((identity) => !learntObjectIds.has(identity));
  let failure: unknown;
  for (const identity of [...known, ...unknown]) {
    let provided: ProvidedTokens;
    try {
      provided = await context.tokens.forIdentity(identity, query.resource, caller, knownPod);
    } catch (error) {
      if (context.disconnected) throw error;
      failure = error;
      continue;
    }
    const objectId = accessTokenObjectId(provided.set.tokens[0]?.accessToken ?? '')?.toLowerCase();
    if (objectId !== undefined) learntObjectIds.set(identity, objectId);
    if (objectId === wanted) return { identity, provided };
  }
  if (failure !== undefined) throw failure;
  throw new NmiError(
    'identity-not-found',
    `no azure identity found for request objectID ${redactClientId(query.objectId)}`,
  );
}
