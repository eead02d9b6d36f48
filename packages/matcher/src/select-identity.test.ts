import { describe, expect, test } from '@jest/globals';
import {
  identityUsableFromNamespace,
  managedModeCandidates,
  partitionByPodNamespace,
  selectIdentity,
} from './index.js';
import { binding, identity, pod } from './test-support/fixtures.js';

const first = identity('default', 'first', { clientID: 'AAAA1111-0000-0000-0000-00000000BBBB' });
const second = identity('default', 'second', {
  clientID: 'cccc2222-0000-0000-0000-00000000dddd',
  resourceID: '/subscriptions/S/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/Second',
});

describe('selectIdentity (§3.7, §3.9, checklist rows 56–58)', () => {
  test('no client_id and no resource id: the first candidate', () => {
    expect(selectIdentity([first, second], {})).toEqual({ ok: true, identity: first });
    expect(selectIdentity([first, second], { clientId: '', resourceId: '' })).toEqual({ ok: true, identity: first });
  });

  test('client_id selects its identity, ignoring case (Q8)', () => {
    expect(selectIdentity([first, second], { clientId: 'cccc2222-0000-0000-0000-00000000dddd' })).toEqual({
      ok: true,
      identity: second,
    });
    expect(selectIdentity([first, second], { clientId: 'CCCC2222-0000-0000-0000-00000000DDDD' })).toEqual({
      ok: true,
      identity: second,
    });
    expect(selectIdentity([first, second], { clientId: 'aaaa1111-0000-0000-0000-00000000bbbb' })).toEqual({
      ok: true,
      identity: first,
    });
  });

  test('msi_res_id / mi_res_id selects by resource ID, ignoring case', () => {
    const resourceId = second.spec.resourceID!.toLowerCase();
    expect(selectIdentity([first, second], { resourceId })).toEqual({ ok: true, identity: second });
  });

  test('unknown client id: not found with upstream text and a redacted client id', () => {
    expect(selectIdentity([first, second], { clientId: '99999999-0000-0000-0000-000000000000' })).toEqual({
      ok: false,
      error: {
        code: 'identity_not_found',
        message: 'no azure identity found for request clientID 9999##### REDACTED #####0000',
        reason: 'no_match',
      },
    });
  });

  test('empty candidate list is a typed not-found, never an exception (Q9)', () => {
    expect(selectIdentity([], {})).toEqual({
      ok: false,
      error: {
        code: 'identity_not_found',
        message: 'no azure identity found for request clientID ',
        reason: 'no_candidates',
      },
    });
    expect(selectIdentity([], { clientId: 'x' })).toMatchObject({ ok: false, error: { reason: 'no_candidates' } });
  });

  test('an identity without clientID never matches an empty request field', () => {
    const noClient = identity('default', 'nc', { clientID: '' });
    expect(selectIdentity([noClient], { resourceId: 'nope' })).toMatchObject({
      ok: false,
      error: { reason: 'no_match' },
    });
  });
});

describe('namespace filtering (§3.7 post-filter)', () => {
  const plain = identity('team', 'plain');
  const annotated = identity('team', 'annotated', { namespacedAnnotation: 'namespaced' });

  test('unannotated identities are usable from any namespace unless namespaced mode is on', () => {
    expect(identityUsableFromNamespace(plain, 'other', { namespaced: false })).toBe(true);
    expect(identityUsableFromNamespace(plain, 'other', { namespaced: true })).toBe(false);
    expect(identityUsableFromNamespace(plain, 'team', { namespaced: true })).toBe(true);
  });

  test('annotated identities only from their own namespace', () => {
    expect(identityUsableFromNamespace(annotated, 'other', { namespaced: false })).toBe(false);
    expect(identityUsableFromNamespace(annotated, 'team', { namespaced: false })).toBe(true);
  });

  test('partition keeps order and reports what was dropped; selecting from an emptied list is not found', () => {
    const { usable, rejected } = partitionByPodNamespace([annotated, plain], 'other', { namespaced: false });
    expect(usable).toEqual([plain]);
    expect(rejected).toEqual([annotated]);
    const none = partitionByPodNamespace([annotated], 'other', { namespaced: false });
    expect(selectIdentity(none.usable, {})).toMatchObject({ ok: false, error: { code: 'identity_not_found' } });
  });
});

describe('managedModeCandidates (§3.9)', () => {
  const bindings = [
    binding('app', 'b1', 'id-b', 'sel'),
    binding('app', 'b2', 'id-a', 'sel'),
    binding('app', 'b3', 'id-c', 'other'),
    binding('elsewhere', 'b4', 'id-d', 'sel'),
  ];
  const identities = [
    identity('app', 'id-b'),
    identity('app', 'id-a'),
    identity('app', 'id-c'),
    identity('elsewhere', 'id-d'),
    identity('elsewhere', 'id-a'),
  ];

  test("identities in the pod's namespace named by its bindings, sorted by name", () => {
    const candidates = managedModeCandidates(pod('app', 'p', { label: 'sel' }), bindings, identities);
    expect(candidates.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['app/id-a', 'app/id-b']);
  });

  test('no label or empty label: no candidates', () => {
    expect(managedModeCandidates(pod('app', 'p'), bindings, identities)).toEqual([]);
    expect(
      managedModeCandidates(pod('app', 'p', { label: '' }), [binding('app', 'e', 'id-a', '')], identities),
    ).toEqual([]);
  });
});
