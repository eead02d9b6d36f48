import { describe, expect, test } from '@jest/globals';
import type { ArmIdentityState, ArmIdentityType } from '@podid/crd-types';
import fc from 'fast-check';
import { planArmPatch } from './arm-patch-plan.js';
import { applyArmPatches } from './test-support/arm-identity-model.js';

const uami = (name: string) =>
  `/subscriptions/S/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
const lower = (id: string) => id.toLowerCase();

function state(type: ArmIdentityType, ids: string[] = [], provisioningState?: string): ArmIdentityState {
  return provisioningState === undefined
    ? { type, userAssignedIdentityIds: ids }
    : { type, userAssignedIdentityIds: ids, provisioningState };
}

describe('planArmPatch: body shape (checklist rows 23, 24)', () => {
  test('adding to a VM without identities: type UserAssigned, lower-cased ID, {} entry', () => {
    expect(planArmPatch(state('None'), { add: [uami('A')], remove: [] })).toEqual({
      kind: 'patch',
      bodies: [{ identity: { type: 'UserAssigned', userAssignedIdentities: { [lower(uami('A'))]: {} } } }],
    });
  });

  test('removing: null entry, only the changed ID is named', () => {
    const plan = planArmPatch(state('UserAssigned', [uami('A'), uami('B')]), { add: [], remove: [uami('b')] });
    expect(plan).toEqual({
      kind: 'patch',
      bodies: [{ identity: { type: 'UserAssigned', userAssignedIdentities: { [lower(uami('B'))]: null } } }],
    });
  });

  test('a SystemAssigned VM becomes "SystemAssigned, UserAssigned" when a user identity is added', () => {
    const plan = planArmPatch(state('SystemAssigned'), { add: [uami('A')], remove: [] });
    expect(plan).toEqual({
      kind: 'patch',
      bodies: [
        { identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [lower(uami('A'))]: {} } } },
      ],
    });
  });

  test('removing the last user identity of a "SystemAssigned, UserAssigned" VM leaves SystemAssigned', () => {
    const plan = planArmPatch(state('SystemAssigned, UserAssigned', [uami('A')]), { add: [], remove: [uami('A')] });
    expect(plan).toEqual({ kind: 'patch', bodies: [{ identity: { type: 'SystemAssigned' } }] });
  });

  test('removing the last user identity of a UserAssigned VM sets None', () => {
    const plan = planArmPatch(state('UserAssigned', [uami('A')]), { add: [], remove: [uami('A')] });
    expect(plan).toEqual({ kind: 'patch', bodies: [{ identity: { type: 'None' } }] });
  });

  test('add wins over remove for the same ID (compared case-insensitively)', () => {
    const plan = planArmPatch(state('None'), { add: [uami('A')], remove: [lower(uami('A'))] });
    expect(plan).toEqual({
      kind: 'patch',
      bodies: [{ identity: { type: 'UserAssigned', userAssignedIdentities: { [lower(uami('A'))]: {} } } }],
    });
    // ... and an ID that is present and in both lists stays: nothing to send.
    expect(planArmPatch(state('UserAssigned', [uami('A')]), { add: [uami('A')], remove: [uami('A')] })).toEqual({
      kind: 'noop',
    });
  });

  test('duplicate IDs in the delta produce one entry', () => {
    const plan = planArmPatch(state('None'), { add: [uami('A'), uami('a'), lower(uami('A'))], remove: [] });
    expect(plan.kind === 'patch' && Object.keys(plan.bodies[0]?.identity.userAssignedIdentities ?? {})).toEqual([
      lower(uami('A')),
    ]);
  });
});

describe('planArmPatch: nothing to change means no PATCH', () => {
  test('empty delta', () => {
    expect(planArmPatch(state('UserAssigned', [uami('A')]), { add: [], remove: [] })).toEqual({ kind: 'noop' });
  });

  test('adding an ID that is already there (any case)', () => {
    expect(planArmPatch(state('UserAssigned', [lower(uami('A'))]), { add: [uami('A')], remove: [] })).toEqual({
      kind: 'noop',
    });
  });

  test('Q5 fix: removing an absent ID from a SystemAssigned-only VM sends nothing (upstream set type None)', () => {
    expect(planArmPatch(state('SystemAssigned'), { add: [], remove: [uami('A')] })).toEqual({ kind: 'noop' });
  });

  test('removing an absent ID from a VM with other identities leaves them alone', () => {
    expect(planArmPatch(state('UserAssigned', [uami('Other')]), { add: [], remove: [uami('A')] })).toEqual({
      kind: 'noop',
    });
  });
});

describe('planArmPatch: provisioningState Deleting (checklist row 27)', () => {
  test('refused with a stable code, no body', () => {
    const plan = planArmPatch(state('UserAssigned', [], 'Deleting'), { add: [uami('A')], remove: [] });
    expect(plan).toMatchObject({ kind: 'refused', code: 'target_deleting' });
    expect(plan.kind === 'refused' && plan.message).toContain("'Deleting'");
  });

  test('other provisioning states are patched', () => {
    expect(planArmPatch(state('None', [], 'Succeeded'), { add: [uami('A')], remove: [] }).kind).toBe('patch');
    expect(planArmPatch(state('None', [], 'Updating'), { add: [uami('A')], remove: [] }).kind).toBe('patch');
  });
});

describe('planArmPatch: 150 entries per body (checklist row 26)', () => {
  const many = (n: number, prefix = 'id') => Array.from({ length: n }, (_, i) => uami(`${prefix}${i}`));

  test('adding 160 IDs gives two bodies of 150 and 10', () => {
    const plan = planArmPatch(state('None'), { add: many(160), remove: [] });
    if (plan.kind !== 'patch') throw new Error(`expected patch, got ${plan.kind}`);
    expect(plan.bodies.map((b) => Object.keys(b.identity.userAssignedIdentities ?? {}).length)).toEqual([150, 10]);
    const after = applyArmPatches(state('None'), plan.bodies);
    expect(new Set(after.userAssignedIdentityIds)).toEqual(new Set(many(160).map(lower)));
  });

  test('exactly 150 IDs fit in one body', () => {
    const plan = planArmPatch(state('None'), { add: many(150), remove: [] });
    expect(plan.kind === 'patch' && plan.bodies.length).toBe(1);
  });

  test('removing all of 200 identities is one entry-less body', () => {
    const plan = planArmPatch(state('UserAssigned', many(200)), { add: [], remove: many(200) });
    expect(plan).toEqual({ kind: 'patch', bodies: [{ identity: { type: 'None' } }] });
  });

  test('replacing 100 identities by 100 others never passes through an empty list', () => {
    const start = state('SystemAssigned, UserAssigned', many(100, 'old'));
    const plan = planArmPatch(start, { add: many(100, 'new'), remove: many(100, 'old') });
    if (plan.kind !== 'patch') throw new Error('expected patch');
    expect(plan.bodies).toHaveLength(2);
    expect(plan.bodies.every((b) => b.identity.type === 'SystemAssigned, UserAssigned')).toBe(true);
    expect(new Set(applyArmPatches(start, plan.bodies).userAssignedIdentityIds)).toEqual(
      new Set(many(100, 'new').map(lower)),
    );
  });
});

describe('planArmPatch: properties', () => {
  const idArb = fc.integer({ min: 0, max: 400 }).map((i) => (i % 3 === 0 ? uami(`Id${i}`) : lower(uami(`id${i}`))));
  const typeArb = fc.constantFrom<ArmIdentityType>(
    'None',
    'SystemAssigned',
    'UserAssigned',
    'SystemAssigned, UserAssigned',
  );
  const caseArb = fc.record({
    type: typeArb,
    present: fc.uniqueArray(idArb, { maxLength: 250, selector: lower }),
    add: fc.array(idArb, { maxLength: 250 }),
    remove: fc.array(idArb, { maxLength: 250 }),
  });

  test('applying the bodies in order reaches (present ∪ add) − (remove − add), keeps system-assigned, each body valid', () => {
    fc.assert(
      fc.property(caseArb, ({ type, present, add, remove }) => {
        // A type that names no user identity with user IDs listed is not a state ARM returns.
        const userType: ArmIdentityType =
          present.length === 0
            ? type
            : type === 'SystemAssigned' || type === 'SystemAssigned, UserAssigned'
              ? 'SystemAssigned, UserAssigned'
              : 'UserAssigned';
        const start = state(userType, present);
        const plan = planArmPatch(start, { add, remove });
        const expected = new Set(present.map(lower));
        for (const id of remove) expected.delete(lower(id));
        for (const id of add) expected.add(lower(id));
        const changed = expected.size !== present.length || present.some((id) => !expected.has(lower(id)));
        if (!changed) {
          expect(plan).toEqual({ kind: 'noop' });
          return;
        }
        if (plan.kind !== 'patch') throw new Error(`expected patch, got ${plan.kind}`);
        const entries = plan.bodies.reduce(
          (n, b) => n + Object.keys(b.identity.userAssignedIdentities ?? {}).length,
          0,
        );
        // Minimal: never more bodies than the 150 split needs.
        expect(plan.bodies.length).toBeLessThanOrEqual(Math.max(1, Math.ceil(entries / 150)));
        const end = applyArmPatches(start, plan.bodies);
        expect(new Set(end.userAssignedIdentityIds)).toEqual(expected);
        const hadSystem = userType.startsWith('SystemAssigned');
        expect(end.type.startsWith('SystemAssigned')).toBe(hadSystem);
      }),
      { numRuns: 300 },
    );
  });
});
