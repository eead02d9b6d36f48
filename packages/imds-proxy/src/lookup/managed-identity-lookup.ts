import type { AzureIdentity, Pod } from '@podid/crd-types';
import { identityMatchesRequest, managedModeCandidates } from '@podid/matcher';
import { type IdentityRequest, chooseIdentity } from './identity-request.js';
import { type ManagedIdentitySource, isImmediate } from './lookups.js';

/**
 * §3.9: bindings in the pod's namespace whose selector equals the pod's `aadpodidbinding` label (exact match),
 * then the identities they name in that same namespace. No state, no retries: managed mode is always namespaced.
 */
export async function lookupManagedIdentity(
  pod: Pod,
  request: IdentityRequest,
  source: ManagedIdentitySource,
): Promise<AzureIdentity> {
  const namespace = pod.metadata.namespace;
  const [bindings, identities] = await Promise.all([
    source.bindingsInNamespace(namespace),
    source.identitiesInNamespace(namespace),
  ]);
  return chooseIdentity(managedModeCandidates(pod, bindings, identities), request);
}

/** Every identity `lookupManagedIdentity` could choose from for this request (see `lookupStandardCandidates`). */
export async function managedIdentityCandidates(
  pod: Pod,
  request: IdentityRequest,
  source: ManagedIdentitySource,
): Promise<AzureIdentity[]> {
  const namespace = pod.metadata.namespace;
  const [bindings, identities] = await Promise.all([
    source.bindingsInNamespace(namespace),
    source.identitiesInNamespace(namespace),
  ]);
  const candidates = managedModeCandidates(pod, bindings, identities);
  chooseIdentity(candidates, request);
  return request.clientId || request.resourceId
    ? candidates.filter((identity) => identityMatchesRequest(identity, request))
    : candidates;
}

/** `lookupManagedIdentity`'s answer when both lookups answer from memory and an identity qualifies; else undefined. */
export function managedIdentityIfReady(
  pod: Pod,
  request: IdentityRequest,
  source: ManagedIdentitySource,
): AzureIdentity | undefined {
  try {
    const bindings = source.bindingsInNamespace(pod.metadata.namespace);
    const identities = source.identitiesInNamespace(pod.metadata.namespace);
    if (!isImmediate(bindings) || !isImmediate(identities)) return undefined;
    return chooseIdentity(managedModeCandidates(pod, bindings, identities), request);
  } catch {
    return undefined;
  }
}
