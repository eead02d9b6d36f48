/**
 * ARM resource IDs. ARM compares IDs case-insensitively, so every map in the emulator is keyed by
 * `normalizeResourceId(id)` while the caller's spelling is kept for display.
 */

export function normalizeResourceId(id: string): string {
  return id.trim().replace(/\/+$/, '').toLowerCase();
}

export interface ResourceGroupScope {
  subscriptionId: string;
  resourceGroup: string;
}

export function resourceGroupId(scope: ResourceGroupScope): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`;
}

export function virtualMachineId(scope: ResourceGroupScope, name: string): string {
  return `${resourceGroupId(scope)}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

export function scaleSetId(scope: ResourceGroupScope, name: string): string {
  return `${resourceGroupId(scope)}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
}

export function userAssignedIdentityId(scope: ResourceGroupScope, name: string): string {
  return `${resourceGroupId(scope)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

const USER_ASSIGNED_ID_PATTERN =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.managedidentity\/userassignedidentities\/([^/]+)$/i;

export interface ParsedIdentityId extends ResourceGroupScope {
  name: string;
}

/** Parses a user-assigned identity resource ID, or returns undefined when it is not one. */
export function parseUserAssignedIdentityId(id: string): ParsedIdentityId | undefined {
  const match = USER_ASSIGNED_ID_PATTERN.exec(id.trim().replace(/\/+$/, ''));
  if (!match) return undefined;
  return { subscriptionId: match[1]!, resourceGroup: match[2]!, name: match[3]! };
}
