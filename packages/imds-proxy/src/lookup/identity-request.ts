import type { AzureIdentity } from '@podid/crd-types';
import { selectIdentity } from '@podid/matcher';
import { NmiError } from '../errors.js';

/** What the caller asked for: `client_id`, and `msi_res_id` (or `mi_res_id` when that is empty) (§3.3). */
export interface IdentityRequest {
  readonly clientId: string;
  readonly resourceId: string;
}

/**
 * The identity to use among those the pod may use (matcher's rules: first candidate without client_id/msi_res_id,
 * else the first that matches case-insensitively). Nothing qualifying is a 404, never a crash (Q9).
 */
export function chooseIdentity(candidates: readonly AzureIdentity[], request: IdentityRequest): AzureIdentity {
  const result = selectIdentity(candidates, request);
  if (!result.ok) throw new NmiError('identity-not-found', result.error.message);
  return result.identity;
}
