import { describe, expect, test } from '@jest/globals';
import { planArmPatch } from './arm-patch-plan.js';
import type { ReconcilerConfig } from './plan-cycle.js';
import {
  baseConfig,
  desire,
  identity,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  uamiId,
  vmNode,
  vmssNode,
} from './test-support/cluster-fixtures.js';
import { SimulatedCluster } from './test-support/cluster-simulation.js';
import { converge, idX, lower, nodeA, onlyTarget, plan, podP, vmKey, vmssKey } from './test-support/plan-test-kit.js';

describe('deleting (checklist rows 15, 16, 25)', () => {
  test('row 15: pod gone → remove its ID (null entry), on success Unassigned then delete', () => {
    const cluster = converge(new SimulatedCluster(), [desire(podP, idX)], [nodeA]);
    const [assigned] = cluster.current();
    const target = onlyTarget(plan([], cluster.current(), [nodeA]));
    expect(target.writes).toEqual([]);
    expect(target.releases).toEqual([{ object: assigned, removesResourceId: lower(uamiId('x')) }]);
    expect(target.delta).toEqual({ add: [], remove: [lower(uamiId('x'))] });
    expect(target.onSuccess).toEqual([{ action: 'release', object: assigned, markUnassigned: true }]);
    expect(planArmPatch(cluster.armState(target.key), target.delta)).toEqual({
      kind: 'patch',
      bodies: [{ identity: { type: 'None' } }],
    });
    converge(cluster, [], [nodeA]);
    expect(cluster.current()).toEqual([]);
    expect(cluster.identitiesOn(vmKey('node-a'))).toEqual([]);
  });

  test('row 15 with another identity left on the VM: the body names the removed ID with null', () => {
    const cluster = converge(
      new SimulatedCluster(),
      [desire(podP, idX), desire({ name: 'q', node: 'node-a' }, identity('y'))],
      [nodeA],
    );
    const target = onlyTarget(plan([desire({ name: 'q', node: 'node-a' }, identity('y'))], cluster.current(), [nodeA]));
    expect(planArmPatch(cluster.armState(target.key), target.delta)).toEqual({
      kind: 'patch',
      bodies: [{ identity: { type: 'UserAssigned', userAssignedIdentities: { [lower(uamiId('x'))]: null } } }],
    });
  });

  test('row 16: two pods on one node with the same identity; deleting one leaves the identity on the VM', () => {
    const both = [desire(podP, idX), desire({ name: 'q', node: 'node-a' }, idX)];
    const cluster = converge(new SimulatedCluster(), both, [nodeA]);
    const target = onlyTarget(plan([both[1]!], cluster.current(), [nodeA]));
    expect(target.releases.map((r) => [r.object.metadata.name, r.removesResourceId])).toEqual([
      ['p-default-x', undefined],
    ]);
    expect(target.delta).toEqual({ add: [], remove: [] });
    converge(cluster, [both[1]!], [nodeA]);
    expect(cluster.identitiesOn(vmKey('node-a'))).toEqual([lower(uamiId('x'))]);
  });

  test('row 16 by clientID: another AzureIdentity with the same clientID in use on the node protects it', () => {
    const twin = identity('x-twin', { clientID: 'CLIENT-X', resourceID: uamiId('x') });
    const cluster = converge(new SimulatedCluster(), [desire(podP, identity('x', { clientID: 'client-x' }))], [nodeA]);
    const target = onlyTarget(plan([desire({ name: 'q', node: 'node-a' }, twin)], cluster.current(), [nodeA]));
    expect(target.releases[0]?.removesResourceId).toBeUndefined();
    expect(target.delta.remove).toEqual([]);
  });

  test('Q3 fix: a pod with the same name in another namespace still using the identity protects it', () => {
    const inA = desire({ name: 'web', namespace: 'a', node: 'node-a' }, idX);
    const inB = desire({ name: 'web', namespace: 'b', node: 'node-a' }, idX);
    const cluster = converge(new SimulatedCluster(), [inA, inB], [nodeA]);
    const target = onlyTarget(plan([inB], cluster.current(), [nodeA]));
    expect(target.releases.map((r) => [r.object.metadata.name, r.removesResourceId])).toEqual([['web-a-x', undefined]]);
    expect(target.delta.remove).toEqual([]);
  });

  test('a Created object is deleted without touching ARM; so is a service principal', () => {
    const created = onlyTarget(
      plan([desire(podP, idX), desire({ name: 'q', node: 'node-a' }, identity('sp', { type: 1 }))], [], [nodeA]),
    );
    const cluster = new SimulatedCluster();
    cluster.applyWrites(created.writes);
    const target = onlyTarget(plan([], cluster.current(), [nodeA]));
    expect(target.releases.map((r) => r.removesResourceId)).toEqual([undefined, undefined]);
    expect(target.delta).toEqual({ add: [], remove: [] });
  });

  test('a legacy object with no status counts as Assigned and is removed', () => {
    const cluster = converge(new SimulatedCluster(), [desire(podP, idX)], [nodeA]);
    const { status: _dropped, ...legacy } = cluster.current()[0]!;
    const target = onlyTarget(plan([], [legacy], [nodeA]));
    expect(target.delta.remove).toEqual([lower(uamiId('x'))]);
  });

  test('rows 23–24 at plan level: a SystemAssigned VM gains and loses a user identity, keeping its system identity', () => {
    const cluster = new SimulatedCluster(
      [],
      [[vmKey('node-a'), { type: 'SystemAssigned', userAssignedIdentityIds: [] }]],
    );
    const create = onlyTarget(plan([desire(podP, idX)], [], [nodeA]));
    expect(planArmPatch(cluster.armState(create.key), create.delta)).toEqual({
      kind: 'patch',
      bodies: [
        { identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [lower(uamiId('x'))]: {} } } },
      ],
    });
    converge(cluster, [desire(podP, idX)], [nodeA]);
    const release = onlyTarget(plan([], cluster.current(), [nodeA]));
    expect(planArmPatch(cluster.armState(release.key), release.delta)).toEqual({
      kind: 'patch',
      bodies: [{ identity: { type: 'SystemAssigned' } }],
    });
    converge(cluster, [], [nodeA]);
    expect(cluster.armState(vmKey('node-a'))).toEqual({ type: 'SystemAssigned', userAssignedIdentityIds: [] });
  });

  test('row 25: an identity on the VM that no AzureAssignedIdentity refers to survives create and delete cycles', () => {
    const manual = lower(uamiId('manual'));
    const cluster = new SimulatedCluster(
      [],
      [[vmKey('node-a'), { type: 'UserAssigned', userAssignedIdentityIds: [manual] }]],
    );
    converge(cluster, [desire(podP, idX)], [nodeA]);
    expect(cluster.identitiesOn(vmKey('node-a')).sort()).toEqual([manual, lower(uamiId('x'))].sort());
    converge(cluster, [], [nodeA]);
    expect(cluster.identitiesOn(vmKey('node-a'))).toEqual([manual]);
  });
});

describe('protected identities (checklist rows 30, 31; Q4)', () => {
  const cases: Array<[string, ReconcilerConfig, string]> = [
    ['row 30: immutable client ID', { ...baseConfig, immutableClientIds: ['client-x'] }, 'client-x'],
    [
      'Q4 fix: immutable flag lower-case, identity upper-case',
      { ...baseConfig, immutableClientIds: ['abc-123'] },
      'ABC-123',
    ],
    [
      'Q4 fix: immutable flag upper-case, identity lower-case',
      { ...baseConfig, immutableClientIds: ['ABC-123'] },
      'abc-123',
    ],
    ['row 31: cluster identity', { ...baseConfig, clusterIdentityClientId: 'kubelet-id' }, 'kubelet-id'],
    [
      'row 31 + Q4: cluster identity in another case',
      { ...baseConfig, clusterIdentityClientId: 'KUBELET-ID' },
      'kubelet-id',
    ],
  ];
  test.each(cases)('%s is never removed after its pods go away', (_name, config, clientID) => {
    const id = identity('x', { clientID });
    const cluster = converge(new SimulatedCluster(), [desire(podP, id)], [nodeA], config);
    const target = onlyTarget(plan([], cluster.current(), [nodeA], config));
    expect(target.releases.map((r) => r.removesResourceId)).toEqual([undefined]);
    expect(target.delta.remove).toEqual([]);
    converge(cluster, [], [nodeA], config);
    expect(cluster.current()).toEqual([]);
    expect(cluster.identitiesOn(vmKey('node-a'))).toEqual([lower(uamiId('x'))]);
  });

  test('control: without the flag the same identity is removed', () => {
    const cluster = converge(new SimulatedCluster(), [desire(podP, identity('x', { clientID: 'ABC-123' }))], [nodeA]);
    expect(onlyTarget(plan([], cluster.current(), [nodeA])).delta.remove).toEqual([lower(uamiId('x'))]);
  });
});

describe('VMSS grouping (checklist row 17, §2.7)', () => {
  const n0 = vmssNode('pool1', 0);
  const n1 = vmssNode('pool1', 1);
  const nodes = [n0, n1, vmNode('solo')];

  test('two pods on two nodes of one VMSS → one target, one PATCH body', () => {
    const desired = [desire({ name: 'p', node: n0.name }, idX), desire({ name: 'q', node: n1.name }, identity('y'))];
    const result = plan(desired, [], nodes);
    const target = onlyTarget(result);
    expect(target.target).toEqual({
      kind: 'vmss',
      subscriptionId: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      name: 'pool1',
    });
    expect(target.key).toBe(vmssKey('pool1'));
    expect(target.nodeNames).toEqual([n0.name, n1.name]);
    expect(target.writes).toHaveLength(2);
    const cluster = new SimulatedCluster();
    cluster.executeSuccessfully(result);
    expect(cluster.patchBodies).toEqual(new Map([[vmssKey('pool1'), 1]]));
  });

  test('deleting one of two pods using the same identity on different nodes of the VMSS does not unassign', () => {
    const desired = [desire({ name: 'p', node: n0.name }, idX), desire({ name: 'q', node: n1.name }, idX)];
    const cluster = converge(new SimulatedCluster(), desired, nodes);
    const target = onlyTarget(plan([desired[1]!], cluster.current(), nodes));
    expect(target.releases[0]?.removesResourceId).toBeUndefined();
    expect(target.delta.remove).toEqual([]);
  });

  test('the same identity on a different plain VM does not protect it', () => {
    const desired = [desire({ name: 'p', node: n0.name }, idX), desire({ name: 'q', node: 'solo' }, idX)];
    const cluster = converge(new SimulatedCluster(), desired, nodes);
    const target = onlyTarget(plan([desired[1]!], cluster.current(), nodes));
    expect(target.key).toBe(vmssKey('pool1'));
    expect(target.delta.remove).toEqual([lower(uamiId('x'))]);
  });

  test('plain VM: ARM name is the node name and the resource group the cloud config one (Q15)', () => {
    const node = {
      name: 'k8s-agent-1',
      providerID:
        'azure:///subscriptions/other/resourceGroups/OtherRG/providers/Microsoft.Compute/virtualMachines/vm-real-name',
    };
    expect(onlyTarget(plan([desire({ name: 'p', node: node.name }, idX)], [], [node])).target).toEqual({
      kind: 'vm',
      subscriptionId: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      name: 'k8s-agent-1',
    });
  });

  test('row 26 at plan level: 160 identities on one VM → 160 adds → two PATCH bodies (150 + 10)', () => {
    const desired = Array.from({ length: 160 }, (_, i) =>
      desire({ name: `p${i}`, node: 'node-a' }, identity(`id${i}`)),
    );
    const result = plan(desired, [], [nodeA]);
    expect(onlyTarget(result).delta.add).toHaveLength(160);
    const armPlan = planArmPatch({ type: 'None', userAssignedIdentityIds: [] }, result.targets[0]!.delta);
    expect(
      armPlan.kind === 'patch' &&
        armPlan.bodies.map((b) => Object.keys(b.identity.userAssignedIdentities ?? {}).length),
    ).toEqual([150, 10]);
  });
});

describe('deleted and unmappable nodes (checklist row 36)', () => {
  test('row 36: node gone → its assigned identities are deleted without ARM calls', () => {
    const cluster = converge(new SimulatedCluster(), [desire(podP, idX)], [nodeA]);
    const result = plan([], cluster.current(), []);
    expect(result.targets).toEqual([]);
    expect(result.releasesWithoutArm).toEqual(cluster.current());
  });

  test('a desired assignment on a missing node is not created, its existing object is kept, diagnostic reported', () => {
    const cluster = converge(new SimulatedCluster(), [desire(podP, idX)], [nodeA]);
    const result = plan([desire(podP, identity('x', { clientID: 'edited' }))], cluster.current(), []);
    expect(result.targets).toEqual([]);
    expect(result.releasesWithoutArm).toEqual([]);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ code: 'node_not_found', nodeName: 'node-a', assignedIdentity: 'default/p-default-x' }),
    ]);
  });

  test('a node whose providerID is not an Azure path is reported, not planned, and never throws', () => {
    const virtual = { name: 'virtual-node', providerID: 'vk://aci/virtual-node' };
    const result = plan(
      [desire({ name: 'p', node: 'virtual-node' }, idX), desire({ name: 'q', node: 'virtual-node' }, identity('y'))],
      [],
      [virtual],
    );
    expect(result.targets).toEqual([]);
    expect(result.diagnostics.map((d) => d.code)).toEqual([
      'unmappable_provider_id',
      'assignment_skipped',
      'assignment_skipped',
    ]);
  });

  test('releases on an unmappable node: never-assigned ones are deleted, Assigned ones held back', () => {
    const cluster = converge(
      new SimulatedCluster(),
      [desire(podP, idX), desire({ name: 'q', node: 'node-a' }, identity('sp', { type: 1 }))],
      [nodeA],
    );
    const result = plan([], cluster.current(), [{ name: 'node-a', providerID: 'kind://docker/node-a' }]);
    expect(result.targets).toEqual([]);
    expect(result.releasesWithoutArm.map((a) => a.metadata.name)).toEqual(['q-default-sp']);
    expect(result.diagnostics.map((d) => [d.code, d.assignedIdentity])).toEqual([
      ['unmappable_provider_id', undefined],
      ['assignment_skipped', 'default/p-default-x'],
    ]);
  });

  test('an empty providerID means a plain VM named like the node (upstream)', () => {
    expect(onlyTarget(plan([desire({ name: 'p', node: 'bare' }, idX)], [], [{ name: 'bare' }])).key).toBe(
      vmKey('bare'),
    );
  });
});
