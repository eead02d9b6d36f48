import type {
  ArmIdentityPatchBody,
  ArmIdentityState,
  ArmIdentityType,
  ArmPatchPlan,
  IdentityDelta,
  PlanArmPatch,
} from '@podid/crd-types';
import { MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST } from '@podid/crd-types';

type UserAssignedEntries = Record<string, Record<string, never> | null>;

/**
 * Turns "add these user-assigned identities, remove those" into the PATCH bodies for one VM or VMSS (§2.10).
 *
 * - IDs are compared and written lower-cased (ARM IDs are case-insensitive).
 * - An ID in both lists is added (add wins), as upstream.
 * - Adding an ID already present, or removing one that is absent, changes nothing; when nothing changes no PATCH is
 *   planned at all (upstream sends a `None` PATCH in one such case and drops the system-assigned identity — Q5).
 * - A system-assigned identity is always kept: the type moves between `SystemAssigned` and
 *   `SystemAssigned, UserAssigned`, never to `None`.
 * - At most {@link MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST} entries per body. Additions come first, so the set of
 *   user identities never empties part-way; every body is valid against the state the previous one leaves.
 *   When the final state has no user identity left, one body with no entries does it (ARM drops them all).
 * - A target whose provisioningState is `Deleting` is refused when there is anything to change.
 */
export const planArmPatch: PlanArmPatch = (current: ArmIdentityState, delta: IdentityDelta): ArmPatchPlan => {
  const present = new Set(current.userAssignedIdentityIds.map((id) => id.toLowerCase()));
  const adds = new Set<string>();
  for (const id of delta.add) {
    const key = id.toLowerCase();
    if (!present.has(key)) adds.add(key);
  }
  const wanted = new Set(delta.add.map((id) => id.toLowerCase()));
  const removes = new Set<string>();
  for (const id of delta.remove) {
    const key = id.toLowerCase();
    if (present.has(key) && !wanted.has(key)) removes.add(key);
  }
  if (adds.size === 0 && removes.size === 0) return { kind: 'noop' };

  if (current.provisioningState?.toLowerCase() === 'deleting') {
    return {
      kind: 'refused',
      code: 'target_deleting',
      message: "cannot change identities: the target is in 'Deleting' provisioning state",
    };
  }

  const keepsSystemAssigned = hasSystemAssigned(current.type);
  const remainingCount = present.size + adds.size - removes.size;
  if (remainingCount === 0) {
    // Only removals, and they empty the list: one body without entries replaces all of them.
    return { kind: 'patch', bodies: [{ identity: { type: keepsSystemAssigned ? 'SystemAssigned' : 'None' } }] };
  }

  const type: ArmIdentityType = keepsSystemAssigned ? 'SystemAssigned, UserAssigned' : 'UserAssigned';
  const entries: Array<readonly [string, Record<string, never> | null]> = [];
  for (const id of adds) entries.push([id, {}]);
  for (const id of removes) entries.push([id, null]);

  const bodies: ArmIdentityPatchBody[] = [];
  for (let start = 0; start < entries.length; start += MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST) {
    const userAssignedIdentities: UserAssignedEntries = {};
    for (const [id, value] of entries.slice(start, start + MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST)) {
      userAssignedIdentities[id] = value;
    }
    bodies.push({ identity: { type, userAssignedIdentities } });
  }
  return { kind: 'patch', bodies };
};

function hasSystemAssigned(type: ArmIdentityType): boolean {
  return type === 'SystemAssigned' || type === 'SystemAssigned, UserAssigned';
}
