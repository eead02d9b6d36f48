import { IdentityType } from './constants.js';
import { identityTypeOf } from './identity-helpers.js';
import { parseUserAssignedIdentityId } from './resource-id.js';
import type { AzureIdentity } from './schemas/azure-identity.js';
import { KNOWN_IDENTITY_TYPES } from './schemas/azure-identity.js';

/** Why an AzureIdentity cannot be used. Stable: tools (kubectl-podid) and NMI branch on these. */
export type IdentityValidationCode =
  /** No spec fields at all: it names no identity. */
  | 'identity_empty_spec'
  /** `spec.type` is not 0, 1, 2 or 3. */
  | 'identity_unknown_type'
  /** Type 0 without `clientID`: NMI would ask IMDS with no selector and get the node's own identity. */
  | 'identity_missing_client_id'
  /** Type 0 without `resourceID`: nothing to put on the VM/VMSS. */
  | 'identity_missing_resource_id'
  /** Type 0 whose `resourceID` is not a user-assigned identity's ARM ID (§2.13). */
  | 'identity_invalid_resource_id'
  /** Type 1/2/3 without `tenantID`. */
  | 'identity_missing_tenant_id'
  /** Type 1/2 without `clientPassword.name` (the secret holding the credential). */
  | 'identity_missing_client_password';

export type IdentityValidation =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: IdentityValidationCode; readonly message: string };

const VALID: IdentityValidation = Object.freeze({ ok: true });

function present(value: string | undefined): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * Whether an AzureIdentity can only ever mean one identity, and if not, why. Pure and cheap: MIC refuses to assign
 * an invalid identity (and says so in an Event), NMI refuses to look a token up for one, kubectl-podid explains it.
 *
 * - type 0 (user-assigned MSI) needs `clientID` and a user-assigned identity `resourceID`;
 * - types 1 and 2 (service principal, secret or certificate) need `tenantID`, `clientID` and `clientPassword.name`
 *   (the secret's namespace defaults to the identity's, as upstream reads it);
 * - type 3 (podid's federated identity) needs `tenantID` and `clientID`; a `resourceID`, when set, must be a
 *   user-assigned identity's ARM ID;
 * - any other type is invalid.
 *
 * Upstream accepted all of these and, for type 0 without `clientID`, NMI handed the pod the node's system-assigned
 * token. The message names the object and the field, and never carries a secret (only field names and the
 * resourceID, which is not one).
 */
export function validateAzureIdentity(identity: AzureIdentity): IdentityValidation {
  const { spec } = identity;
  const who = `AzureIdentity ${identity.metadata.namespace}/${identity.metadata.name}`;
  const fail = (code: IdentityValidationCode, why: string): IdentityValidation => ({
    ok: false,
    code,
    message: `${who}: ${why}`,
  });
  const type = identityTypeOf(identity);
  if (!KNOWN_IDENTITY_TYPES.includes(type)) {
    return fail('identity_unknown_type', `unknown spec.type ${type}: must be 0, 1, 2 or 3`);
  }
  if (type === IdentityType.FederatedIdentity) {
    // NMI exchanges the pod's service-account token for this client in this tenant; resourceID is optional.
    if (!present(spec.tenantID))
      return fail('identity_missing_tenant_id', 'federated identity (type 3) without spec.tenantID');
    if (!present(spec.clientID))
      return fail('identity_missing_client_id', 'federated identity (type 3) without spec.clientID');
    if (present(spec.resourceID)) {
      const resourceId = parseUserAssignedIdentityId(spec.resourceID ?? '');
      if (!resourceId.ok) return fail('identity_invalid_resource_id', resourceId.error.message);
    }
    return VALID;
  }
  if (type === IdentityType.UserAssignedMSI) {
    const nothingSet =
      !present(spec.clientID) && !present(spec.resourceID) && !present(spec.tenantID) && spec.type === undefined;
    if (nothingSet) return fail('identity_empty_spec', 'spec is empty: it names no identity');
    if (!present(spec.clientID)) {
      return fail('identity_missing_client_id', 'user-assigned identity (type 0) without spec.clientID');
    }
    if (!present(spec.resourceID)) {
      return fail('identity_missing_resource_id', 'user-assigned identity (type 0) without spec.resourceID');
    }
    const resourceId = parseUserAssignedIdentityId(spec.resourceID ?? '');
    if (!resourceId.ok) return fail('identity_invalid_resource_id', resourceId.error.message);
    return VALID;
  }
  const kind = type === IdentityType.ServicePrincipal ? 'service principal (type 1)' : 'service principal (type 2)';
  if (!present(spec.tenantID)) return fail('identity_missing_tenant_id', `${kind} without spec.tenantID`);
  if (!present(spec.clientID)) return fail('identity_missing_client_id', `${kind} without spec.clientID`);
  if (!present(spec.clientPassword?.name)) {
    return fail('identity_missing_client_password', `${kind} without spec.clientPassword.name (the secret reference)`);
  }
  return VALID;
}
