import { describe, expect, test } from '@jest/globals';
import { applyMergePatch, applyStrategicMergePatch } from './patching.js';

const pod = () => ({
  metadata: {
    name: 'p',
    finalizers: ['a'],
    ownerReferences: [
      { uid: 'u1', name: 'rs1', kind: 'ReplicaSet', apiVersion: 'apps/v1' },
      { uid: 'u2', name: 'rs2', kind: 'ReplicaSet', apiVersion: 'apps/v1' },
    ],
    labels: { app: 'web', tier: 'fe' },
  },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'app:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
      { name: 'sidecar', image: 'side:1' },
    ],
    tolerations: [{ key: 't1' }],
  },
  status: {
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'Scheduled', status: 'True' },
    ],
  },
});

describe('strategic merge patch (built-in types)', () => {
  test('containers merge by name, env by name, other fields untouched', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: '3' }] }] } },
      'pods',
    );
    expect(out['spec'].containers).toEqual([
      {
        name: 'app',
        image: 'app:2',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '3' },
        ],
      },
      { name: 'sidecar', image: 'side:1' },
    ]);
  });

  test('lists without a patch strategy are replaced', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { tolerations: [{ key: 't2' }] } }, 'pods');
    expect(out['spec'].tolerations).toEqual([{ key: 't2' }]);
  });

  test('ownerReferences merge by uid; $patch: delete removes one', () => {
    const out = applyStrategicMergePatch(
      pod(),
      {
        metadata: {
          ownerReferences: [
            { uid: 'u2', $patch: 'delete' },
            { uid: 'u3', name: 'rs3', kind: 'ReplicaSet', apiVersion: 'apps/v1' },
          ],
        },
      },
      'pods',
    );
    expect(out['metadata'].ownerReferences.map((o: { uid: string }) => o.uid)).toEqual(['u1', 'u3']);
  });

  test('finalizers merge as a set; $deleteFromPrimitiveList removes', () => {
    expect(
      applyStrategicMergePatch(pod(), { metadata: { finalizers: ['b', 'a'] } }, 'pods')['metadata'].finalizers,
    ).toEqual(['a', 'b']);
    expect(
      applyStrategicMergePatch(pod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, 'pods')[
        'metadata'
      ].finalizers,
    ).toEqual([]);
  });

  test('status conditions merge by type', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      'pods',
    );
    expect(out['status'].conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'Scheduled', status: 'True' },
    ]);
  });

  test('null deletes a key; $patch: replace replaces a map', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { metadata: { labels: { tier: null, $patch: 'replace', x: 'y' } } },
      'pods',
    );
    expect(out['metadata'].labels).toEqual({ x: 'y' });
    const out2 = applyStrategicMergePatch(pod(), { metadata: { labels: { tier: null } } }, 'pods');
    expect(out2['metadata'].labels).toEqual({ app: 'web' });
  });

  test('$setElementOrder reorders a merged list (kubectl apply sends it)', () => {
    const out = applyStrategicMergePatch(
      pod(),
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
          containers: [{ name: 'sidecar', image: 'side:2' }],
        },
      },
      'pods',
    );
    expect(out['spec'].containers.map((c: { name: string; image: string }) => `${c.name}:${c.image}`)).toEqual([
      'sidecar:side:2',
      'app:app:1',
    ]);
  });

  test('$patch: delete inside a merged list removes the element by key', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } },
      'pods',
    );
    expect(out['spec'].containers.map((c: { name: string }) => c.name)).toEqual(['app']);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  test('lists are replaced, null deletes, maps merge', () => {
    const out = applyMergePatch(pod(), {
      spec: { containers: [{ name: 'only' }] },
      metadata: { labels: { app: null, new: 'v' } },
    }) as ReturnType<typeof pod>;
    expect(out.spec.containers).toEqual([{ name: 'only' }]);
    expect(out.metadata.labels).toEqual({ tier: 'fe', new: 'v' });
  });
});
