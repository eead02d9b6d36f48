import { ArmError } from './arm-error.js';
import type { ComputeIdentity, ComputeRecord, SystemAssignedIdentity } from '../state/azure-state.js';
import { normalizeResourceId, parseUserAssignedIdentityId } from '../state/resource-id.js';

/** ARM refuses more than this many user-assigned identity entries (adds plus removals) in one request. */
export const MAX_IDENTITIES_PER_REQUEST = 150;

export type IdentityTypeName = 'None' | 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned, UserAssigned';

/** What the patch logic needs to know about a referenced user-assigned identity. */
export type IdentityLookupResult =
  | { kind: 'found'; clientId: string; principalId: string; tenantId: string }
  /** The identity does not exist (its resource group does). */
  | { kind: 'notFound' }
  /** The caller may not assign it, or its scope is not a known subscription/resource group. */
  | { kind: 'linkedScopeDenied' };

export interface IdentityPatchContext {
  lookup(id: string): IdentityLookupResult;
  newSystemIdentity(): SystemAssignedIdentity;
  /** appid/oid of the ARM caller, quoted in LinkedAuthorizationFailed like ARM does. */
  caller: { appId: string; objectId: string };
}

function parseType(raw: unknown): { system: boolean; user: boolean } | undefined {
  if (typeof raw !== 'string') return undefined;
  const parts = raw
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p.length > 0);
  const key = parts.sort().join(',');
  switch (key) {
    case 'none':
      return { system: false, user: false };
    case 'systemassigned':
      return { system: true, user: false };
    case 'userassigned':
      return { system: false, user: true };
    case 'systemassigned,userassigned':
      return { system: true, user: true };
    default:
      return undefined;
  }
}

export function identityTypeName(identity: ComputeIdentity): IdentityTypeName {
  const system = identity.systemAssigned !== undefined;
  const user = identity.userAssigned.size > 0;
  if (system && user) return 'SystemAssigned, UserAssigned';
  if (system) return 'SystemAssigned';
  if (user) return 'UserAssigned';
  return 'None';
}

function invalid(message: string, target: string): ArmError {
  return new ArmError(400, 'InvalidParameter', message, {}, target);
}

function failedIdentityOperation(resourceId: string, status: string, innerCode: string, innerMessage: string) {
  // ARM's compute RP wraps the managed-identity RP's answer; upstream MIC greps the IDs out of this text.
  const inner = JSON.stringify({ error: { code: innerCode, message: innerMessage } });
  return new ArmError(
    400,
    'FailedIdentityOperation',
    `Identity operation for resource '${resourceId}' failed with error 'Failed to perform resource identity operation. Status: '${status}'. Response: '${inner}'.'.`,
  );
}

/**
 * Applies the `identity` block of a PATCH body to a VM's or VMSS's identity (`current`: its identity once
 * any queued update has finished) with ARM's semantics and
 * returns the resulting identity, or the ArmError ARM would answer. Pure apart from the lookups in `ctx`.
 *
 * - `type` is authoritative for which kinds remain: `None` drops everything, `SystemAssigned` drops the
 *   user-assigned set, `UserAssigned` drops the system identity. Without `type` the current kinds are kept.
 * - In `userAssignedIdentities`, `{}` adds and `null` removes; IDs compare case-insensitively; removing an
 *   ID that is not assigned is a no-op.
 */
export function applyIdentityPatch(
  resource: ComputeRecord,
  current: ComputeIdentity,
  patchIdentity: unknown,
  ctx: IdentityPatchContext,
): ComputeIdentity {
  if (patchIdentity === undefined || patchIdentity === null) return current;
  if (typeof patchIdentity !== 'object' || Array.isArray(patchIdentity)) {
    throw invalid('The value of parameter identity is invalid: it must be an object.', 'identity');
  }
  const block = patchIdentity as Record<string, unknown>;
  let wanted: { system: boolean; user: boolean } | undefined;
  if (block['type'] !== undefined && block['type'] !== null) {
    wanted = parseType(block['type']);
    if (!wanted) {
      throw invalid(
        `The value '${String(block['type'])}' of identity.type is invalid. Allowed values are 'None', 'SystemAssigned', 'UserAssigned' and 'SystemAssigned, UserAssigned'.`,
        'identity.type',
      );
    }
  }
  const rawEntries = block['userAssignedIdentities'];
  if (
    rawEntries !== undefined &&
    rawEntries !== null &&
    (typeof rawEntries !== 'object' || Array.isArray(rawEntries))
  ) {
    throw invalid('The value of identity.userAssignedIdentities must be an object keyed by resource ID.', 'identity');
  }
  const entries = Object.entries((rawEntries ?? {}) as Record<string, unknown>);

  if (entries.length > MAX_IDENTITIES_PER_REQUEST) {
    throw failedIdentityOperation(
      resource.id,
      'BadRequest',
      'BadRequest',
      `User Assigned Identities Number '${entries.length}' Assign exceed limit '${MAX_IDENTITIES_PER_REQUEST}' in one request.`,
    );
  }

  const adds: string[] = [];
  const removes: string[] = [];
  for (const [id, value] of entries) {
    if (!parseUserAssignedIdentityId(id)) {
      throw invalid(`The identity ID '${id}' is not a valid user assigned identity resource ID.`, 'identity');
    }
    if (value === null) removes.push(id);
    else if (typeof value === 'object' && !Array.isArray(value)) adds.push(id);
    else {
      throw invalid(
        `The value of user assigned identity '${id}' must be an empty object (assign) or null (unassign).`,
        'identity',
      );
    }
  }

  const keepSystem = wanted ? wanted.system : current.systemAssigned !== undefined;
  const allowUser = wanted ? wanted.user : true;
  if (!allowUser && adds.length > 0) {
    throw invalid(
      `User assigned identities cannot be assigned when identity.type is '${String(block['type'])}'.`,
      'identity.type',
    );
  }

  const linked: string[] = [];
  const missing: string[] = [];
  const resolved = new Map<string, { clientId: string; principalId: string; tenantId: string }>();
  for (const id of adds) {
    const found = ctx.lookup(id);
    if (found.kind === 'found') {
      resolved.set(id, { clientId: found.clientId, principalId: found.principalId, tenantId: found.tenantId });
    } else if (found.kind === 'notFound') missing.push(id);
    else linked.push(id);
  }
  if (linked.length > 0) {
    const action = resource.kind === 'virtualMachine' ? 'virtualMachines' : 'virtualMachineScaleSets';
    throw new ArmError(
      403,
      'LinkedAuthorizationFailed',
      `The client '${ctx.caller.appId}' with object id '${ctx.caller.objectId}' has permission to perform action 'Microsoft.Compute/${action}/write' on scope '${resource.id}'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${linked.join(',')}' or the linked scope(s) are invalid.`,
    );
  }
  if (missing.length > 0) {
    throw failedIdentityOperation(resource.id, 'NotFound', 'NotFound', `Resource '${missing.join(',')}' not found.`);
  }

  const userAssigned = new Map(allowUser ? current.userAssigned : []);
  for (const id of removes) userAssigned.delete(normalizeResourceId(id));
  for (const id of adds) {
    const key = normalizeResourceId(id);
    const existing = userAssigned.get(key);
    const found = resolved.get(id)!;
    // Re-adding an assigned ID keeps the spelling it was first assigned with, as ARM does.
    userAssigned.set(key, { ...found, id: existing?.id ?? id });
  }
  if (wanted?.user && userAssigned.size === 0) {
    throw invalid(
      `Identity type '${String(block['type'])}' needs at least one user assigned identity, but none would remain.`,
      'identity.userAssignedIdentities',
    );
  }
  const systemAssigned = keepSystem ? (current.systemAssigned ?? ctx.newSystemIdentity()) : undefined;
  return { systemAssigned, userAssigned };
}

/** The `identity` JSON ARM returns for a VM/VMSS, or undefined when it has none. */
export function identityToJson(identity: ComputeIdentity): Record<string, unknown> | undefined {
  const type = identityTypeName(identity);
  if (type === 'None') return undefined;
  const json: Record<string, unknown> = { type };
  if (identity.systemAssigned) {
    json['principalId'] = identity.systemAssigned.principalId;
    json['tenantId'] = identity.systemAssigned.tenantId;
  }
  if (identity.userAssigned.size > 0) {
    const entries: Record<string, { principalId: string; clientId: string }> = {};
    for (const entry of identity.userAssigned.values()) {
      entries[entry.id] = { principalId: entry.principalId, clientId: entry.clientId };
    }
    json['userAssignedIdentities'] = entries;
  }
  return json;
}
