import { describe, expect, test } from '@jest/globals';
import { assignedIdentityName, matchAssignments, type SkipReason } from './index.js';
import { binding, identity, pod } from './test-support/fixtures.js';

const open = { namespaced: false };

function codes(skipped: readonly SkipReason[]): string[] {
  return skipped.map((s) => s.code);
}

describe('matchAssignments: the pod label (checklist rows 5, 6)', () => {
  const id = identity('default', 'id1');
  const b = binding('default', 'b1', 'id1', 'sel');

  test('a pod labelled with the selector gets the identity', () => {
    const result = matchAssignments([pod('default', 'p', { label: 'sel' })], [b], [id], open);
    expect(result.assignments).toHaveLength(1);
    expect(result.assignments[0]).toMatchObject({ podName: 'p', podNamespace: 'default', nodeName: 'node-1' });
    expect(result.skipped).toEqual([]);
  });

  test('unlabelled and empty-labelled pods get none, each with its reason', () => {
    const result = matchAssignments(
      [pod('default', 'unlabelled'), pod('default', 'empty', { label: '' })],
      [b],
      [id],
      open,
    );
    expect(result.assignments).toEqual([]);
    expect(result.skipped).toEqual([
      expect.objectContaining({ code: 'pod_empty_label', pod: { namespace: 'default', name: 'empty' } }),
      expect.objectContaining({ code: 'pod_no_label', pod: { namespace: 'default', name: 'unlabelled' } }),
      expect.objectContaining({ code: 'binding_unmatched', binding: { namespace: 'default', name: 'b1' } }),
    ]);
  });

  test('selector match is exact and case-sensitive: Demo does not match demo', () => {
    const result = matchAssignments(
      [pod('default', 'p', { label: 'demo' })],
      [binding('default', 'b', 'id1', 'Demo')],
      [id],
      open,
    );
    expect(result.assignments).toEqual([]);
    expect(codes(result.skipped)).toEqual(['pod_no_matching_binding', 'binding_unmatched']);
    expect(result.skipped[0]!.message).toBe('no AzureIdentityBinding with selector "demo" for pod default/p');
  });

  test('a pod without a node is skipped with upstream text', () => {
    const unscheduled = pod('ns', 'p', { label: 'sel' });
    const result = matchAssignments([{ ...unscheduled, spec: {} }], [b], [id], open);
    expect(result.skipped[0]).toEqual({
      subject: 'pod',
      code: 'pod_no_node',
      message: 'pod ns/p has no assigned node yet. it will be ignored',
      pod: { namespace: 'ns', name: 'p' },
    });
  });

  test('one label value can match several bindings: one assignment each, sorted by binding namespace/name', () => {
    const result = matchAssignments(
      [pod('app', 'p', { label: 'sel' })],
      [binding('z', 'b', 'idz', 'sel'), binding('a', 'b2', 'ida2', 'sel'), binding('a', 'b1', 'ida1', 'sel')],
      [identity('z', 'idz'), identity('a', 'ida1'), identity('a', 'ida2')],
      open,
    );
    expect(result.assignments.map((a) => `${a.binding.metadata.namespace}/${a.binding.metadata.name}`)).toEqual([
      'a/b1',
      'a/b2',
      'z/b',
    ]);
  });
});

describe('matchAssignments: identity lookup (checklist row 7)', () => {
  test('a binding in ns A naming an identity that exists only in ns B produces no assignment', () => {
    const result = matchAssignments(
      [pod('a', 'p', { label: 'sel' })],
      [binding('a', 'b', 'id1', 'sel')],
      [identity('b', 'id1')],
      open,
    );
    expect(result.assignments).toEqual([]);
    expect(result.skipped).toEqual([
      {
        subject: 'pod_binding',
        code: 'identity_not_found',
        message: 'id1 identity not found when using a/b binding',
        pod: { namespace: 'a', name: 'p' },
        binding: { namespace: 'a', name: 'b' },
        identity: { namespace: 'a', name: 'id1' },
      },
    ]);
  });
});

describe('matchAssignments: the AzureAssignedIdentity (checklist rows 8–11)', () => {
  test('row 8 (changed by Q1): name is the readable upstream text plus a hash of the exact tuple', () => {
    const result = matchAssignments(
      [pod('n', 'p', { label: 'sel' })],
      [binding('n', 'b', 'i', 'sel')],
      [identity('n', 'i')],
      open,
    );
    const name = result.assignments[0]!.name;
    expect(name).toMatch(/^p-n-i-[0-9a-f]{16}$/);
    expect(name).toBe(
      assignedIdentityName({ podName: 'p', podNamespace: 'n', identityName: 'i', identityNamespace: 'n' }),
    );
  });

  test('Q1: upstream names a-b-c-x twice (pod a-b in c, pod a in b-c); podid gives two objects', () => {
    const result = matchAssignments(
      [pod('c', 'a-b', { label: 'sel' }), pod('b-c', 'a', { label: 'sel' })],
      [binding('default', 'bind', 'x', 'sel')],
      [identity('default', 'x')],
      open,
    );
    const names = result.assignments.map((a) => a.name);
    expect(names).toHaveLength(2);
    expect(names[0]!.startsWith('a-b-c-x-')).toBe(true);
    expect(names[1]!.startsWith('a-b-c-x-')).toBe(true);
    expect(names[0]).not.toBe(names[1]);
  });

  test('row 9: in default when not namespaced; in the identity namespace with the annotation or the option', () => {
    const pods = [pod('team', 'p', { label: 'sel' })];
    const bindings = [binding('team', 'b', 'id1', 'sel')];
    expect(matchAssignments(pods, bindings, [identity('team', 'id1')], open).assignments[0]!.namespace).toBe('default');
    expect(
      matchAssignments(pods, bindings, [identity('team', 'id1', { namespacedAnnotation: 'namespaced' })], open)
        .assignments[0]!.namespace,
    ).toBe('team');
    expect(
      matchAssignments(pods, bindings, [identity('team', 'id1')], { namespaced: true }).assignments[0]!.namespace,
    ).toBe('team');
  });

  test('rows 10, 11: node name and the full identity and binding objects, incl. resourceVersion', () => {
    const id = identity('default', 'id1');
    const b = binding('default', 'b', 'id1', 'sel');
    const [assignment] = matchAssignments(
      [pod('x', 'p', { label: 'sel', nodeName: 'vmss-000001' })],
      [b],
      [id],
      open,
    ).assignments;
    expect(assignment).toEqual({
      name: expect.any(String),
      namespace: 'default',
      podName: 'p',
      podNamespace: 'x',
      nodeName: 'vmss-000001',
      identity: id,
      binding: b,
    });
    expect(assignment!.identity.metadata.resourceVersion).toBe('11');
    expect(assignment!.binding.metadata.resourceVersion).toBe('22');
  });
});

describe('matchAssignments: namespaced identities (checklist rows 18, 19)', () => {
  const bindings = [binding('shared', 'b', 'id1', 'sel')];
  const pods = [pod('shared', 'same-ns', { label: 'sel' }), pod('other', 'other-ns', { label: 'sel' })];

  test('row 18: annotated identity is not bound to a pod in another namespace', () => {
    const result = matchAssignments(
      pods,
      bindings,
      [identity('shared', 'id1', { namespacedAnnotation: 'namespaced' })],
      open,
    );
    expect(result.assignments.map((a) => a.podName)).toEqual(['same-ns']);
    expect(result.skipped).toEqual([
      expect.objectContaining({ code: 'cross_namespace', pod: { namespace: 'other', name: 'other-ns' } }),
    ]);
  });

  test('only the exact annotation value "namespaced" has an effect', () => {
    const result = matchAssignments(
      pods,
      bindings,
      [identity('shared', 'id1', { namespacedAnnotation: 'Namespaced' })],
      open,
    );
    expect(result.assignments).toHaveLength(2);
  });

  test('row 19: the namespaced option applies to unannotated identities', () => {
    expect(matchAssignments(pods, bindings, [identity('shared', 'id1')], open).assignments).toHaveLength(2);
    const result = matchAssignments(pods, bindings, [identity('shared', 'id1')], { namespaced: true });
    expect(result.assignments.map((a) => a.podName)).toEqual(['same-ns']);
    expect(codes(result.skipped)).toEqual(['cross_namespace']);
  });
});

describe('matchAssignments: duplicates (checklist row 20)', () => {
  test('same identity name in two namespaces for one pod: one assignment, upstream warning', () => {
    const result = matchAssignments(
      [pod('app', 'p', { label: 'sel' })],
      [binding('ns-b', 'bind', 'shared-name', 'sel'), binding('ns-a', 'bind', 'shared-name', 'sel')],
      [identity('ns-a', 'shared-name'), identity('ns-b', 'shared-name')],
      open,
    );
    expect(result.assignments).toHaveLength(1);
    expect(result.assignments[0]!.identity.metadata.namespace).toBe('ns-a');
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0]).toMatchObject({
      code: 'duplicate_identity_name',
      binding: { namespace: 'ns-b', name: 'bind' },
    });
    expect(result.skipped[0]!.message).toMatch(
      /^AzureIdentity shared-name exists in both ns-a and ns-b namespace\. Considering renaming it or enabling Namespace mode \(/,
    );
  });

  test('two bindings to the very same identity: one assignment, the second binding is redundant', () => {
    const result = matchAssignments(
      [pod('default', 'p', { label: 'sel' })],
      [binding('default', 'b1', 'id1', 'sel'), binding('default', 'b2', 'id1', 'sel')],
      [identity('default', 'id1')],
      open,
    );
    expect(result.assignments.map((a) => a.binding.metadata.name)).toEqual(['b1']);
    expect(codes(result.skipped)).toEqual(['redundant_binding']);
  });

  test('the same pod or binding twice in the input is used once', () => {
    const p = pod('default', 'p', { label: 'sel' });
    const b = binding('default', 'b1', 'id1', 'sel');
    const result = matchAssignments([p, p], [b, b], [identity('default', 'id1')], open);
    expect(result.assignments).toHaveLength(1);
    expect(codes(result.skipped).sort()).toEqual(['binding_duplicate', 'pod_duplicate']);
  });

  test('copies of a pod among others are used once whatever the input order', () => {
    const copies = [pod('a', 'p', { label: 'sel' }), pod('a', 'p', { label: 'sel' }), pod('a', 'p', { label: 'sel' })];
    const others = [pod('a', 'o', { label: 'sel' }), pod('b', 'p', { label: 'sel' }), pod('a', 'q', { label: 'sel' })];
    const all = [copies[0]!, others[0]!, copies[1]!, others[1]!, others[2]!, copies[2]!];
    const result = matchAssignments(all, [binding('default', 'b1', 'id1', 'sel')], [identity('default', 'id1')], open);
    expect(result.assignments.map((a) => `${a.podNamespace}/${a.podName}`)).toEqual(['a/o', 'a/p', 'a/q', 'b/p']);
    expect(result.skipped.map((s) => (s.subject === 'pod' ? `${s.code} ${s.pod.name}` : s.code))).toEqual([
      'pod_duplicate p',
      'pod_duplicate p',
    ]);
  });

  test('pods are told apart by their namespace/name key, so keys that coincide through "/" count as one pod', () => {
    // Impossible for real objects ("/" is invalid in both); kept as the documented rule for untrusted input.
    const result = matchAssignments(
      [pod('a/b', 'c', { label: 'sel' }), pod('a', 'b/c', { label: 'sel' })],
      [binding('default', 'b1', 'id1', 'sel')],
      [identity('default', 'id1')],
      open,
    );
    expect(result.assignments.map((a) => a.podNamespace)).toEqual(['a']);
    expect(codes(result.skipped)).toEqual(['pod_duplicate']);
  });
});

describe('matchAssignments: resource ID validation (checklist row 22, §2.13)', () => {
  test('type-0 identity whose resourceID lacks resourcegroups is ignored with the invalid resource id text', () => {
    const bad = '/subscriptions/s/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x';
    const result = matchAssignments(
      [pod('default', 'p', { label: 'sel' })],
      [binding('default', 'b', 'id1', 'sel')],
      [identity('default', 'id1', { resourceID: bad })],
      open,
    );
    expect(result.assignments).toEqual([]);
    expect(result.skipped[0]).toMatchObject({ code: 'invalid_resource_id' });
    expect(result.skipped[0]!.message).toBe(
      `invalid resource id: "${bad}", must match /subscriptions/<subid>/resourcegroups/<resourcegroup>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`,
    );
  });

  test('type 0 is also the reading of an absent spec.type; service principals need no resourceID', () => {
    const noType = identity('default', 'id1', { resourceID: 'nope' });
    const { type: _omitted, ...specWithoutType } = noType.spec;
    const pods = [pod('default', 'p', { label: 'sel' })];
    const bindings = [binding('default', 'b', 'id1', 'sel')];
    expect(matchAssignments(pods, bindings, [{ ...noType, spec: specWithoutType }], open).assignments).toEqual([]);
    const sp = identity('default', 'id1', { type: 1, resourceID: '' });
    expect(matchAssignments(pods, bindings, [sp], open).assignments).toHaveLength(1);
  });
});

describe('matchAssignments: pod phase (Q2, deliberate change)', () => {
  test.each(['Succeeded', 'Failed'])('a %s pod gets no identity', (phase) => {
    const result = matchAssignments(
      [pod('default', 'job', { label: 'sel', phase })],
      [binding('default', 'b', 'id1', 'sel')],
      [identity('default', 'id1')],
      open,
    );
    expect(result.assignments).toEqual([]);
    expect(result.skipped[0]).toEqual({
      subject: 'pod',
      code: 'pod_terminal_phase',
      message: `pod default/job is ${phase}; it needs no identity`,
      pod: { namespace: 'default', name: 'job' },
    });
  });

  test.each(['Pending', 'Running', 'Unknown', ''])('a pod in phase %j keeps its identity', (phase) => {
    const result = matchAssignments(
      [pod('default', 'p', { label: 'sel', phase })],
      [binding('default', 'b', 'id1', 'sel')],
      [identity('default', 'id1')],
      open,
    );
    expect(result.assignments).toHaveLength(1);
  });
});

describe('matchAssignments: complexity', () => {
  test('bindings are indexed by selector: work grows with pods + bindings, not pods × bindings', () => {
    const n = 500;
    let specReads = 0;
    const counted = (b: ReturnType<typeof binding>): ReturnType<typeof binding> =>
      new Proxy(b, {
        get(target, property, receiver) {
          if (property === 'spec') specReads++;
          return Reflect.get(target, property, receiver);
        },
      });
    const pods = Array.from({ length: n }, (_, i) => pod('default', `p${i}`, { label: `sel-${i}` }));
    const bindings = Array.from({ length: n }, (_, i) => counted(binding('default', `b${i}`, `id${i}`, `sel-${i}`)));
    const identities = Array.from({ length: n }, (_, i) => identity('default', `id${i}`));
    const result = matchAssignments(pods, bindings, identities, open);
    expect(result.assignments).toHaveLength(n);
    // A pods × bindings scan would read spec n² = 250,000 times; the index needs a few reads per binding.
    expect(specReads).toBeLessThanOrEqual(4 * n);
  });
});

describe('matchAssignments: identities that could mean more than one identity (issue 14)', () => {
  const pods = [pod('default', 'p', { label: 'sel' })];
  const bindings = [binding('default', 'b', 'id1', 'sel')];

  test('type 0 without clientID is skipped as invalid_identity, naming the object and the field', () => {
    const result = matchAssignments(pods, bindings, [identity('default', 'id1', { clientID: '' })], open);
    expect(result.assignments).toEqual([]);
    expect(result.skipped).toEqual([
      expect.objectContaining({
        subject: 'pod_binding',
        code: 'invalid_identity',
        message: 'AzureIdentity default/id1: user-assigned identity (type 0) without spec.clientID',
      }),
    ]);
  });

  test('type 0 without resourceID keeps the §2.13 code and text; a service principal without tenant is invalid', () => {
    const noId = matchAssignments(pods, bindings, [identity('default', 'id1', { resourceID: '' })], open);
    expect(noId.skipped[0]).toMatchObject({ code: 'invalid_resource_id', message: expect.stringContaining('""') });
    const sp = identity('default', 'id1', { type: 1 });
    const { tenantID: _dropped, ...spec } = sp.spec;
    const result = matchAssignments(pods, bindings, [{ ...sp, spec }], open);
    expect(result.assignments).toEqual([]);
    expect(result.skipped[0]).toMatchObject({ code: 'invalid_identity', message: expect.stringContaining('tenantID') });
  });
});
