import type { AzureIdentity, Pod } from '@podid/crd-types';
import { managedModeCandidates } from '@podid/matcher';
import { type IdentityRequest, chooseIdentity } from './identity-request.js';
import type { ManagedIdentitySource } from './lookups.js';

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
