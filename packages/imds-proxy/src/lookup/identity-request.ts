import type { AzureIdentity } from '@podid/crd-types';
import { BEHAVIOR_ANNOTATION_KEY, BEHAVIOR_NAMESPACED } from '@podid/crd-types';

/** What the caller asked for: `client_id`, and `msi_res_id` (or `mi_res_id` when that is empty) (§3.3). */
export interface IdentityRequest {
  readonly clientId: string;
  readonly resourceId: string;
}

export function isNamespacedIdentity(identity: AzureIdentity): boolean {
  return identity.metadata.annotations?.[BEHAVIOR_ANNOTATION_KEY] === BEHAVIOR_NAMESPACED;
}

/** Namespaced mode or a namespaced identity: only pods of the identity's own namespace may use it (§3.7). */
export function usableFromNamespace(identity: AzureIdentity, podNamespace: string, forceNamespaced: boolean): boolean {
  if (!forceNamespaced && !isNamespacedIdentity(identity)) return true;
  return identity.metadata.namespace === podNamespace;
}

/** Client IDs and resource IDs are compared case-insensitively everywhere (Q8 fixed: upstream mixed both). */
export function identityMatchesRequest(identity: AzureIdentity, request: IdentityRequest): boolean {
  if (request.clientId && (identity.spec.clientID ?? '').toLowerCase() === request.clientId.toLowerCase()) {
    return true;
  }
  if (request.resourceId && (identity.spec.resourceID ?? '').toLowerCase() === request.resourceId.toLowerCase()) {
    return true;
  }
  return false;
}

/**
 * The identity to use: with neither client_id nor msi_res_id the first candidate, else the first that matches.
 * Undefined (never a crash, Q9) when nothing qualifies.
 */
export function chooseIdentity(
  candidates: readonly AzureIdentity[],
  request: IdentityRequest,
): AzureIdentity | undefined {
  if (!request.clientId && !request.resourceId) return candidates[0];
  return candidates.find((identity) => identityMatchesRequest(identity, request));
}
