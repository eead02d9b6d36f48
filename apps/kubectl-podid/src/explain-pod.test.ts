import { describe, expect, test } from '@jest/globals';
import type { AzureAssignedIdentity, AzureIdentity, AzureIdentityBinding, Pod } from '@podid/crd-types';
import type { IdentityObjects } from './cluster-objects.js';
import { explainPod } from './explain-pod.js';
import { leaseView } from './lease-view.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const RESOURCE_ID = '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/';

const pod: Pod = {
  metadata: { name: 'app', namespace: 'default', labels: { aadpodidbinding: 'app' } },
  spec: { nodeName: 'node-1' },
  status: { phase: 'Running' },
};
const identity = (name: string): AzureIdentity => ({
  metadata: { name, namespace: 'default' },
  spec: { type: 0, resourceID: RESOURCE_ID + name, clientID: `client-${name}` },
});
const binding = (name: string, identityName: string): AzureIdentityBinding => ({
  metadata: { name, namespace: 'default' },
  spec: { azureIdentity: identityName, selector: 'app' },
});
const assigned = (name: string, state: string, of: AzureIdentity): AzureAssignedIdentity => ({
  metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { pod: 'app', podNamespace: 'default', nodename: 'node-1', azureIdentityRef: of },
  status: { status: state },
});

function objects(partial: Partial<IdentityObjects>): IdentityObjects {
  return { identities: [], bindings: [], assignedIdentities: [], exceptions: [], invalidObjects: [], ...partial };
}

const explain = (o: IdentityObjects) =>
  explainPod({ pod, objects: o, nodes: new Map(), events: [], lease: undefined, namespaced: false, nowMs: NOW });

describe('explainPod', () => {
  test('an identity that fails the schema MIC validates with is "identity_invalid" with the error, not "not found"', () => {
    const result = explain(
      objects({
        bindings: [binding('b', 'broken')],
        invalidObjects: [
          {
            apiVersion: 'aadpodidentity.k8s.io/v1',
            kind: 'AzureIdentity',
            namespace: 'default',
            name: 'broken',
            uid: undefined,
            resourceVersion: '7',
            source: 'list',
            error: {
              code: 'invalid_field',
              message: 'AzureIdentity default/broken: spec.type: expected int',
              kind: 'AzureIdentity',
              name: 'broken',
              namespace: 'default',
              path: 'spec.type',
            },
          },
        ],
      }),
    );
    expect(result.bindings).toEqual([
      expect.objectContaining({
        code: 'identity_invalid',
        matched: false,
        message:
          'AzureIdentity default/broken fails validation, so MIC ignores it: AzureIdentity default/broken: spec.type: expected int',
      }),
    ]);
  });

  test('a pod-level reason wins the summary; the age of an assignment comes from its creation time', () => {
    const id = identity('one');
    const result = explain(
      objects({
        identities: [id],
        bindings: [binding('b', 'one')],
        assignedIdentities: [assigned('x', 'Created', id)],
      }),
    );
    expect(result.assignedIdentities[0]).toMatchObject({
      state: 'Created',
      ageSeconds: 600,
      armTarget: { kind: 'node_not_found' },
    });
    expect(result.verdict).toEqual({
      hasAssignedIdentity: false,
      summary: "identity default/one is still Created: MIC has not confirmed it on the node's VM/VMSS",
    });
  });

  test('a matched binding with no assignment and no MIC leader: the Lease is shown and the summary says so', () => {
    const id = identity('one');
    const result = explainPod({
      pod,
      objects: objects({ identities: [id], bindings: [binding('b', 'one')] }),
      nodes: new Map(),
      events: [],
      lease: { found: false, namespace: 'default', name: 'aad-pod-identity-mic' },
      namespaced: false,
      nowMs: NOW,
    });
    expect(result.bindings.map((b) => b.code)).toEqual(['matched']);
    expect(result.micLeader).toMatchObject({ found: false, held: false });
    expect(result.verdict.summary).toBe(
      'pod default/app matches, but MIC has not created its AzureAssignedIdentity yet: no MIC leader holds the Lease (is MIC running?)',
    );
  });

  test('legacy assignments without a state are what NMI picks, as NMI does', () => {
    const legacy = identity('legacy');
    const current = identity('current');
    const result = explain(
      objects({
        identities: [legacy, current],
        assignedIdentities: [assigned('a', 'Assigned', current), assigned('b', '', legacy)],
      }),
    );
    expect(result.nmiDefault).toMatchObject({ identity: { name: 'legacy' }, arbitrary: false });
  });
});

describe('leaseView', () => {
  test('a Lease renewed longer ago than its duration has no active leader', () => {
    const base = { found: true as const, namespace: 'default', name: 'l', holder: 'mic-1', leaseDurationSeconds: 15 };
    expect(leaseView({ ...base, renewTimeMs: NOW - 10_000 }, NOW)).toMatchObject({ held: true, renewedSecondsAgo: 10 });
    expect(leaseView({ ...base, renewTimeMs: NOW - 60_000 }, NOW)).toMatchObject({
      held: false,
      renewedSecondsAgo: 60,
    });
    expect(leaseView({ ...base, holder: '', renewTimeMs: NOW }, NOW).held).toBe(false);
    expect(leaseView({ found: false, namespace: 'default', name: 'l', error: 'forbidden' }, NOW)).toMatchObject({
      found: false,
      held: false,
      error: 'forbidden',
    });
  });
});
