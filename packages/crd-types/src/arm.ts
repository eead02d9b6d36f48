/**
 * Types shared by the reconciler (which plans ARM identity changes) and arm-assigner (which performs them).
 * Identity IDs are ARM resource IDs of user-assigned identities; ARM treats them case-insensitively.
 */

export type ArmTargetKind = 'vm' | 'vmss';

/** A virtual machine or scale set whose identity list MIC manages. */
export interface ArmTarget {
  readonly kind: ArmTargetKind;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

const PROVIDER_PATH: Readonly<Record<ArmTargetKind, string>> = {
  vm: 'Microsoft.Compute/virtualMachines',
  vmss: 'Microsoft.Compute/virtualMachineScaleSets',
};

/** `/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines|virtualMachineScaleSets/NAME`. */
export function armTargetResourceId(target: ArmTarget): string {
  return `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/${PROVIDER_PATH[target.kind]}/${target.name}`;
}

/** Lower-cased resource ID: ARM names are case-insensitive, so this is the key to group or look up targets by. */
export function armTargetKey(target: ArmTarget): string {
  return armTargetResourceId(target).toLowerCase();
}

/** User-assigned identity resource IDs to add to and remove from one target. */
export interface IdentityDelta {
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

export type ArmIdentityType = 'None' | 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned, UserAssigned';

/** The identity block of a VM/VMSS as read from ARM. */
export interface ArmIdentityState {
  readonly type: ArmIdentityType;
  readonly userAssignedIdentityIds: readonly string[];
  readonly provisioningState?: string;
}

/** A PATCH body; a `null` entry removes that identity, `{}` adds it (§2.10). */
export interface ArmIdentityPatchBody {
  readonly identity: {
    readonly type: ArmIdentityType;
    readonly userAssignedIdentities?: Readonly<Record<string, Record<string, never> | null>>;
  };
}

export type ArmPatchPlan =
  | { readonly kind: 'noop' }
  | { readonly kind: 'patch'; readonly bodies: readonly ArmIdentityPatchBody[] }
  | { readonly kind: 'refused'; readonly code: 'target_deleting'; readonly message: string };

export type PlanArmPatch = (current: ArmIdentityState, delta: IdentityDelta) => ArmPatchPlan;

/** ARM rejects PATCHes naming more user-assigned identities than this; larger deltas are chunked (§2.10). */
export const MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST = 150;
