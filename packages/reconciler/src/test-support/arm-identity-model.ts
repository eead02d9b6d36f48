import type { ArmIdentityPatchBody, ArmIdentityState } from '@podid/crd-types';
import { MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST } from '@podid/crd-types';

/**
 * A strict model of how ARM applies an identity PATCH to a VM/VMSS, for tests. It throws where ARM would reject
 * the body (too many entries, a type that contradicts the resulting identity list, removing an absent identity),
 * so a test that applies planned bodies one after another proves each body is valid on its own.
 */
export function applyArmPatch(state: ArmIdentityState, body: ArmIdentityPatchBody): ArmIdentityState {
  const ids = new Set(state.userAssignedIdentityIds.map((id) => id.toLowerCase()));
  const entries = body.identity.userAssignedIdentities;
  const { type } = body.identity;
  if (entries === undefined) {
    if (type !== 'None' && type !== 'SystemAssigned') {
      throw new Error(`type ${type} without userAssignedIdentities`);
    }
    return { type, userAssignedIdentityIds: [] };
  }
  const names = Object.keys(entries);
  if (names.length === 0) throw new Error('empty userAssignedIdentities map');
  if (names.length > MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST) {
    throw new Error(`User Assigned Identities Number '${names.length}' Assign exceed limit '150' in one request`);
  }
  for (const name of names) {
    if (name !== name.toLowerCase()) throw new Error(`identity ID not lower-cased: ${name}`);
    if (entries[name] === null) {
      if (!ids.has(name)) throw new Error(`removing absent identity ${name}`);
      ids.delete(name);
    } else {
      ids.add(name);
    }
  }
  if (ids.size === 0) throw new Error(`type ${type} would leave no user-assigned identity`);
  if (type !== 'UserAssigned' && type !== 'SystemAssigned, UserAssigned') {
    throw new Error(`type ${type} with user-assigned entries`);
  }
  return { type, userAssignedIdentityIds: [...ids] };
}

/** Applies every body in order; the state the last one leaves. */
export function applyArmPatches(state: ArmIdentityState, bodies: readonly ArmIdentityPatchBody[]): ArmIdentityState {
  return bodies.reduce(applyArmPatch, state);
}
