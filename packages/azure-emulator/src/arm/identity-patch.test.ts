import { describe, expect, test } from '@jest/globals';
import { type ComputeIdentity, type ComputeRecord, emptyIdentity } from '../state/azure-state.js';
import { normalizeResourceId } from '../state/resource-id.js';
import { ArmError } from './arm-error.js';
import { applyIdentityPatch, type IdentityLookupResult, identityTypeName } from './identity-patch.js';

const idOf = (name: string, rg = 'rg-ids') =>
  `/subscriptions/sub-1/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
const A = idOf('a');
const B = idOf('b');

const vm: ComputeRecord = {
  kind: 'virtualMachine',
  id: '/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm',
  name: 'vm',
  subscriptionId: 'sub-1',
  resourceGroup: 'rg',
  location: 'westus',
  uniqueId: 'u',
  provisioningState: 'Succeeded',
  identity: emptyIdentity(),
  instances: [],
};

const ctx = {
  lookup(id: string): IdentityLookupResult {
    if (id.toLowerCase().includes('/resourcegroups/rg-missing/')) return { kind: 'linkedScopeDenied' };
    if (id.toLowerCase().endsWith('/ghost') || id.toLowerCase().endsWith('/ghost2')) return { kind: 'notFound' };
    return {
      kind: 'found',
      clientId: `client-${id.slice(-1)}`,
      principalId: `principal-${id.slice(-1)}`,
      tenantId: 't',
    };
  },
  newSystemIdentity: () => ({ principalId: 'sys-principal', clientId: 'sys-client', tenantId: 't' }),
  caller: { appId: 'app-1', objectId: 'obj-1' },
};

function identity(system: boolean, users: string[]): ComputeIdentity {
  const result = emptyIdentity();
  if (system) result.systemAssigned = { principalId: 'existing-sys', clientId: 'existing-client', tenantId: 't' };
  for (const id of users) {
    result.userAssigned.set(normalizeResourceId(id), { id, clientId: 'c', principalId: 'p', tenantId: 't' });
  }
  return result;
}

function patch(current: ComputeIdentity, body: unknown): ComputeIdentity {
  return applyIdentityPatch(vm, current, body, ctx);
}

function users(result: ComputeIdentity): string[] {
  return [...result.userAssigned.values()].map((e) => e.id);
}

function armErrorOf(fn: () => unknown): ArmError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ArmError) return error;
    throw error;
  }
  throw new Error('expected an ArmError');
}

describe('applyIdentityPatch: type transitions', () => {
  test.each([
    ['None -> SystemAssigned', identity(false, []), { type: 'SystemAssigned' }, 'SystemAssigned', []],
    [
      'SystemAssigned -> SystemAssigned, UserAssigned',
      identity(true, []),
      { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [A]: {} } },
      'SystemAssigned, UserAssigned',
      [A],
    ],
    [
      'both -> UserAssigned keeps users, drops system',
      identity(true, [A]),
      { type: 'UserAssigned' },
      'UserAssigned',
      [A],
    ],
    [
      'UserAssigned -> SystemAssigned drops users',
      identity(false, [A, B]),
      { type: 'SystemAssigned' },
      'SystemAssigned',
      [],
    ],
    ['both -> None drops everything', identity(true, [A, B]), { type: 'None' }, 'None', []],
    [
      'no type: keeps system and adds',
      identity(true, []),
      { userAssignedIdentities: { [B]: {} } },
      'SystemAssigned, UserAssigned',
      [B],
    ],
    [
      'type spelled in another case without the space',
      identity(false, []),
      { type: 'systemassigned,userassigned', userAssignedIdentities: { [A]: {} } },
      'SystemAssigned, UserAssigned',
      [A],
    ],
    [
      'null removes, {} adds in one request',
      identity(false, [A]),
      { type: 'UserAssigned', userAssignedIdentities: { [A]: null, [B]: {} } },
      'UserAssigned',
      [B],
    ],
    [
      'removing an ID that is not assigned is a no-op',
      identity(false, [A]),
      { type: 'UserAssigned', userAssignedIdentities: { [B]: null } },
      'UserAssigned',
      [A],
    ],
  ])('%s', (_name, current, body, type, expectedUsers) => {
    const result = patch(current, { ...body });
    expect(identityTypeName(result)).toBe(type);
    expect(users(result)).toEqual(expectedUsers);
  });

  test('an existing system identity keeps its principal; a new one gets a fresh principal', () => {
    expect(patch(identity(true, []), { type: 'SystemAssigned' }).systemAssigned?.principalId).toBe('existing-sys');
    expect(patch(identity(false, []), { type: 'SystemAssigned' }).systemAssigned?.principalId).toBe('sys-principal');
  });

  test('IDs compare case-insensitively and keep their first spelling', () => {
    const result = patch(identity(false, [A]), { userAssignedIdentities: { [A.toUpperCase()]: {} } });
    expect(users(result)).toEqual([A]);
    const removed = patch(identity(true, [A]), { userAssignedIdentities: { [A.toLowerCase()]: null } });
    expect(users(removed)).toEqual([]);
    expect(identityTypeName(removed)).toBe('SystemAssigned');
  });

  test('an absent or null identity block changes nothing', () => {
    const current = identity(true, [A]);
    expect(patch(current, undefined)).toBe(current);
    expect(patch(current, null)).toBe(current);
  });
});

describe('applyIdentityPatch: rejections', () => {
  test('more than 150 entries fails like ARM; exactly 150 passes', () => {
    const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [idOf(`x${i}`), {}]));
    const error = armErrorOf(() =>
      patch(identity(false, []), { type: 'UserAssigned', userAssignedIdentities: entries(151) }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe('FailedIdentityOperation');
    expect(error.message).toContain("User Assigned Identities Number '151' Assign exceed limit '150' in one request");
    expect(
      users(patch(identity(false, []), { type: 'UserAssigned', userAssignedIdentities: entries(150) })),
    ).toHaveLength(150);
  });

  test('unknown identities fail with FailedIdentityOperation naming all of them', () => {
    const ghost = idOf('ghost');
    const ghost2 = idOf('ghost2');
    const error = armErrorOf(() =>
      patch(identity(false, []), { userAssignedIdentities: { [ghost]: {}, [A]: {}, [ghost2]: {} } }),
    );
    expect(error.code).toBe('FailedIdentityOperation');
    expect(error.message).toContain(`${ghost},${ghost2}`);
  });

  test('identities in an unknown scope fail with 403 LinkedAuthorizationFailed naming them', () => {
    const denied = idOf('a', 'rg-missing');
    const error = armErrorOf(() => patch(identity(false, []), { userAssignedIdentities: { [denied]: {} } }));
    expect(error.status).toBe(403);
    expect(error.code).toBe('LinkedAuthorizationFailed');
    expect(error.message).toContain(`linked scope(s) '${denied}'`);
    expect(error.message).toContain("The client 'app-1' with object id 'obj-1'");
  });

  test.each([
    ['an unknown type', { type: 'Magic' }, 'identity.type'],
    ['None with identities', { type: 'None', userAssignedIdentities: { [A]: {} } }, 'identity.type'],
    [
      'SystemAssigned with identities',
      { type: 'SystemAssigned', userAssignedIdentities: { [A]: {} } },
      'identity.type',
    ],
    [
      'UserAssigned leaving nothing',
      { type: 'UserAssigned', userAssignedIdentities: { [A]: null } },
      'identity.userAssignedIdentities',
    ],
    ['a non-object entry', { userAssignedIdentities: { [A]: 'yes' } }, 'identity'],
    ['a malformed ID', { userAssignedIdentities: { '/not/an/identity': {} } }, 'identity'],
    ['an array block', [], 'identity'],
  ])('%s -> 400 InvalidParameter', (_name, body, target) => {
    const error = armErrorOf(() => patch(identity(false, [A]), body));
    expect(error.status).toBe(400);
    expect(error.code).toBe('InvalidParameter');
    expect(error.target).toBe(target);
  });
});
