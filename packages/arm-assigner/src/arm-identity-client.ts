import type { ArmIdentityPatchBody, ArmIdentityState, ArmTarget, UserAssignedIdentityIdParts } from '@podid/crd-types';

/** What MIC needs to know about a user-assigned identity (arm-msi `userAssignedIdentities.get`). */
export interface UserAssignedIdentityInfo {
  readonly id: string;
  readonly name: string;
  readonly clientId: string;
  readonly principalId: string;
  readonly tenantId: string;
  readonly location?: string;
}

/**
 * The ARM calls the assigner makes, behind one small interface: the SDK-backed implementation talks to ARM (or the
 * emulator); unit tests inject a fake. Implementations throw `ArmAssignerError`; when ARM sent `Retry-After` the
 * error carries `retryAt` so the throttle gate can hold further calls of that kind.
 */
export interface ArmIdentityClient {
  /** GET the VM or VMSS (scale-set model) and return its identity block. */
  readIdentity(target: ArmTarget): Promise<ArmIdentityState>;
  /** PATCH the identity block and wait for the long-running operation; returns the identity block ARM reports after. */
  patchIdentity(target: ArmTarget, body: ArmIdentityPatchBody): Promise<ArmIdentityState>;
  /** GET a user-assigned identity. */
  readUserAssignedIdentity(id: UserAssignedIdentityIdParts): Promise<UserAssignedIdentityInfo>;
}
