import type { AzureIdentity, Pod } from '@podid/crd-types';
import { POD_LABEL_KEY } from '@podid/crd-types';
import { type IdentityRequest, chooseIdentity } from './identity-request.js';
import type { ManagedIdentitySource } from './lookups.js';
import { identityNotFound } from './standard-identity-lookup.js';

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
  const selector = pod.metadata.labels?.[POD_LABEL_KEY];
  if (!selector) throw identityNotFound(request);
  const bindings = await source.bindingsInNamespace(namespace);
  const names = new Set(
    bindings
      .filter((binding) => binding.metadata.namespace === namespace && binding.spec.selector === selector)
      .map((binding) => binding.spec.azureIdentity ?? ''),
  );
  const identities = (await source.identitiesInNamespace(namespace)).filter(
    (identity) => identity.metadata.namespace === namespace && names.has(identity.metadata.name),
  );
  const chosen = chooseIdentity(identities, request);
  if (!chosen) throw identityNotFound(request);
  return chosen;
}
