import {
  type AzureIdentity,
  type AzureIdentityBinding,
  isNamespacedIdentity,
  type Pod,
  POD_LABEL_KEY,
  redactClientId,
} from '@podid/crd-types';
import { equalFold } from './equal-fold.js';
import { sortObjects } from './object-order.js';
import type { IdentityRequest, SelectIdentityResult } from './types.js';

/** True when the identity's clientID or resourceID equals what was requested, ignoring case (Q8: always). */
export function identityMatchesRequest(identity: AzureIdentity, request: IdentityRequest): boolean {
  const clientId = request.clientId ?? '';
  const resourceId = request.resourceId ?? '';
  return (
    (clientId !== '' && equalFold(identity.spec.clientID ?? '', clientId)) ||
    (resourceId !== '' && equalFold(identity.spec.resourceID ?? '', resourceId))
  );
}

/**
 * Picks the identity NMI serves a token for (§3.7 selection, §3.9 step 4). With neither client ID nor resource ID
 * the first candidate wins; otherwise the first whose clientID or resourceID matches, ignoring case. Nothing usable
 * is a typed result, never an exception (Q9), with upstream's 404 text.
 */
export function selectIdentity(candidates: readonly AzureIdentity[], request: IdentityRequest): SelectIdentityResult {
  const clientId = request.clientId ?? '';
  const resourceId = request.resourceId ?? '';
  const notFound = (reason: 'no_candidates' | 'no_match'): SelectIdentityResult => ({
    ok: false,
    error: {
      code: 'identity_not_found',
      message: `no azure identity found for request clientID ${redactClientId(clientId)}`,
      reason,
    },
  });
  if (candidates.length === 0) return notFound('no_candidates');
  if (clientId === '' && resourceId === '') return { ok: true, identity: candidates[0]! };
  const match = candidates.find((identity) => identityMatchesRequest(identity, { clientId, resourceId }));
  return match === undefined ? notFound('no_match') : { ok: true, identity: match };
}

/**
 * Whether a pod in `podNamespace` may use the identity: always, unless namespaced mode is on or the identity is
 * annotated namespaced, in which case only from the identity's own namespace (§3.7 post-filter).
 */
export function identityUsableFromNamespace(
  identity: AzureIdentity,
  podNamespace: string,
  options: { readonly namespaced: boolean },
): boolean {
  if (!options.namespaced && !isNamespacedIdentity(identity)) return true;
  return identity.metadata.namespace === podNamespace;
}

/** Splits candidates into those the pod may use and those the namespaced rules forbid (NMI logs the latter). */
export function partitionByPodNamespace(
  identities: readonly AzureIdentity[],
  podNamespace: string,
  options: { readonly namespaced: boolean },
): { readonly usable: AzureIdentity[]; readonly rejected: AzureIdentity[] } {
  const usable: AzureIdentity[] = [];
  const rejected: AzureIdentity[] = [];
  for (const identity of identities) {
    (identityUsableFromNamespace(identity, podNamespace, options) ? usable : rejected).push(identity);
  }
  return { usable, rejected };
}

/**
 * Managed mode (§3.9 steps 2–3): identities in the pod's namespace named by bindings in the pod's namespace whose
 * selector equals the pod's `aadpodidbinding` label. Sorted by name so that "the first" is deterministic (upstream
 * used cache order). A pod without the label, or with an empty one, has no candidates.
 */
export function managedModeCandidates(
  pod: Pod,
  bindings: readonly AzureIdentityBinding[],
  identities: readonly AzureIdentity[],
): AzureIdentity[] {
  const label = pod.metadata.labels?.[POD_LABEL_KEY] ?? '';
  if (label === '') return [];
  const namespace = pod.metadata.namespace;
  const names = new Set<string>();
  for (const binding of bindings) {
    if (binding.metadata.namespace === namespace && binding.spec.selector === label) {
      names.add(binding.spec.azureIdentity ?? '');
    }
  }
  return sortObjects(identities.filter((i) => i.metadata.namespace === namespace && names.has(i.metadata.name)));
}
