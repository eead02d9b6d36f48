/**
 * Validation of user-assigned identity ARM resource IDs (§2.13).
 *
 * Acceptance is exactly upstream's: case-insensitive, unanchored (text may precede or follow), and the dot in
 * `Microsoft.ManagedIdentity` matches any character, as it did in upstream's regular expression.
 */
const USER_ASSIGNED_IDENTITY_ID =
  /\/subscriptions\/(.+?)\/resourcegroups\/(.+?)\/providers\/Microsoft.ManagedIdentity\/userAssignedIdentities\/(.+)/i;

export interface UserAssignedIdentityIdParts {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

export interface InvalidResourceIdError {
  readonly code: 'invalid_resource_id';
  /** Upstream's log text: `invalid resource id: "<id>", must match /subscriptions/<subid>/...`. */
  readonly message: string;
}

export type ParseUserAssignedIdentityIdResult =
  | { readonly ok: true; readonly value: UserAssignedIdentityIdParts }
  | { readonly ok: false; readonly error: InvalidResourceIdError };

export function invalidResourceIdMessage(id: string): string {
  return `invalid resource id: ${JSON.stringify(id)}, must match /subscriptions/<subid>/resourcegroups/<resourcegroup>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`;
}

export function parseUserAssignedIdentityId(id: string): ParseUserAssignedIdentityIdResult {
  const match = USER_ASSIGNED_IDENTITY_ID.exec(id);
  if (match === null) {
    return { ok: false, error: { code: 'invalid_resource_id', message: invalidResourceIdMessage(id) } };
  }
  return { ok: true, value: { subscriptionId: match[1]!, resourceGroup: match[2]!, name: match[3]! } };
}
