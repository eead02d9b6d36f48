import { describe, expect, test } from '@jest/globals';
import type { AzureAssignedIdentity } from '@podid/crd-types';
import { ASSIGNED_IDENTITY_FINALIZER, armTargetKey } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import { planArmPatch } from './arm-patch-plan.js';
import { classifyAfterFailure } from './failure-classification.js';
import type { ClusterNode } from './arm-target-resolution.js';
import { type PlanCycleInput, planCycle, type ReconcilerConfig } from './plan-cycle.js';
import type { Plan, TargetPlan } from './plan-types.js';
import {
  baseConfig,
  binding,
  desire,
  identity,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  uamiId,
  vmNode,
  vmssNode,
} from './test-support/cluster-fixtures.js';
import { SimulatedCluster } from './test-support/cluster-simulation.js';

const vmKey = (name: string) =>
  armTargetKey({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name });
const vmssKey = (name: string) =>
  armTargetKey({ kind: 'vmss', subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name });
const lower = (id: string) => id.toLowerCase();

function plan(
  desired: DesiredAssignment[],
  current: readonly AzureAssignedIdentity[],
  nodes: ClusterNode[],
  config: ReconcilerConfig = baseConfig,
): Plan {
  const input: PlanCycleInput = { desired, current, nodes, config };
  return planCycle(input);
}

function onlyTarget(result: Plan): TargetPlan {
  expect(result.targets).toHaveLength(1);
  return result.targets[0]!;
}

/** Plans and executes with ARM succeeding, until nothing is left to do; returns the simulation. */
function converge(
  cluster: SimulatedCluster,
  desired: DesiredAssignment[],
  nodes: ClusterNode[],
  config: ReconcilerConfig = baseConfig,
): SimulatedCluster {
  cluster.executeSuccessfully(plan(desired, cluster.current(), nodes, config));
  const again = plan(desired, cluster.current(), nodes, config);
  expect(again.targets).toEqual([]);
  expect(again.releasesWithoutArm).toEqual([]);
  return cluster;
}

const nodeA = vmNode('node-a');
const idX = identity('x');
const podP = { name: 'p', node: 'node-a' };

describe('creating an AzureAssignedIdentity (checklist rows 8–13 at plan level)', () => {
  test('new desired assignment → POST the full §1.4 object with status Created, add its ID to the VM', () => {
    const bindingX = binding('x-binding', 'x', { resourceVersion: '7' });
    const result = plan([desire(podP, idX, bindingX)], [], [nodeA]);
    const target = onlyTarget(result);
    expect(target.key).toBe(vmKey('node-a'));
    expect(target.target).toEqual({
      kind: 'vm',
      subscriptionId: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      name: 'node-a',
    });
    expect(target.nodeNames).toEqual(['node-a']);
    expect(target.writes).toHaveLength(1);
    const write = target.writes[0]!;
    expect(write.op).toBe('create');
    expect(write.object).toEqual({
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureAssignedIdentity',
      metadata: {
        name: 'p-default-x',
        namespace: 'default',
        labels: { nodename: 'node-a' },
        finalizers: [ASSIGNED_IDENTITY_FINALIZER],
      },
      spec: {
        azureIdentityRef: { ...idX, apiVersion: 'aadpodidentity.k8s.io/v1', kind: 'AzureIdentity' },
        azureBindingRef: { ...bindingX, apiVersion: 'aadpodidentity.k8s.io/v1', kind: 'AzureIdentityBinding' },
        pod: 'p',
        podNamespace: 'default',
        nodename: 'node-a',
      },
      status: { status: 'Created', availableReplicas: 1 },
    });
    expect(write.object.spec.azureBindingRef?.metadata.resourceVersion).toBe('7');
    expect(target.delta).toEqual({ add: [lower(uamiId('x'))], remove: [] });
    expect(target.pending).toEqual([{ object: write.object, resourceId: lower(uamiId('x')) }]);
    expect(target.releases).toEqual([]);
    expect(result.releasesWithoutArm).toEqual([]);
    expect(result.diagnostics).toEqual([]);
  });

  test('row 13: ARM success turns Created into Assigned; the next plan is empty', () => {
    const cluster = new SimulatedCluster();
    const result = plan([desire(podP, idX)], [], [nodeA]);
    expect(onlyTarget(result).onSuccess).toEqual([
      { action: 'mark-assigned', object: result.targets[0]!.writes[0]!.object },
    ]);
    converge(cluster, [desire(podP, idX)], [nodeA]);
    expect(cluster.current().map((a) => a.status?.status)).toEqual(['Assigned']);
    expect(cluster.identitiesOn(vmKey('node-a'))).toEqual([lower(uamiId('x'))]);
  });

  test('service-principal identities need no ARM change: empty delta, still confirmed on success', () => {
    const sp = identity('sp', { type: 1 });
    const target = onlyTarget(plan([desire(podP, sp)], [], [nodeA]));
    expect(target.delta).toEqual({ add: [], remove: [] });
    expect(target.pending).toEqual([{ object: target.writes[0]!.object, resourceId: undefined }]);
    expect(target.onSuccess.map((o) => o.action)).toEqual(['mark-assigned']);
  });

  test('the embedded identity copy is shared by every object that embeds it (no per-pod copies)', () => {
    const pods = [1, 2, 3].map((i) => desire({ name: `p${i}`, node: 'node-a' }, idX));
    const writes = onlyTarget(plan(pods, [], [nodeA])).writes;
    expect(new Set(writes.map((w) => w.object.spec.azureIdentityRef)).size).toBe(1);
  });
});

describe('ARM failure (checklist row 14, §2.9 step 5)', () => {
  test('ID absent after the failure → stays Created; the next cycle retries it without a write', () => {
    const cluster = new SimulatedCluster();
    const first = onlyTarget(plan([desire(podP, idX)], [], [nodeA]));
    cluster.applyWrites(first.writes);
    const outcomes = classifyAfterFailure(first, []);
    expect(outcomes).toEqual([{ action: 'leave-created', object: first.writes[0]!.object }]);
    cluster.applyOutcomes(outcomes);

    const retry = onlyTarget(plan([desire(podP, idX)], cluster.current(), [nodeA]));
    expect(retry.writes).toEqual([]);
    expect(retry.pending).toEqual([{ object: first.writes[0]!.object, resourceId: lower(uamiId('x')) }]);
    expect(retry.delta.add).toEqual([lower(uamiId('x'))]);
  });

  test('ID present after the failure (case-insensitive) → Assigned anyway', () => {
    const first = onlyTarget(plan([desire(podP, idX)], [], [nodeA]));
    expect(classifyAfterFailure(first, [uamiId('x').toUpperCase()]).map((o) => o.action)).toEqual(['mark-assigned']);
  });

  test('releases: removal requested and ID still there → kept for retry; otherwise deleted without Unassigned', () => {
    const cluster = converge(
      new SimulatedCluster(),
      [desire(podP, idX), desire({ name: 'q', node: 'node-a' }, identity('y'))],
      [nodeA],
    );
    const release = onlyTarget(plan([], cluster.current(), [nodeA]));
    expect([...release.delta.remove].sort()).toEqual([lower(uamiId('x')), lower(uamiId('y'))]);
    const outcomes = classifyAfterFailure(release, [uamiId('x')]);
    expect(
      outcomes.map((o) => [o.object.metadata.name, o.action, 'markUnassigned' in o ? o.markUnassigned : null]),
    ).toEqual([
      ['p-default-x', 'retry-release', null],
      ['q-default-y', 'release', false],
    ]);
  });

  test('row 27: a Deleting target is refused by planArmPatch; classification then keeps everything retryable', () => {
    const first = onlyTarget(plan([desire(podP, idX)], [], [nodeA]));
    const armPlan = planArmPatch(
      { type: 'None', userAssignedIdentityIds: [], provisioningState: 'Deleting' },
      first.delta,
    );
    expect(armPlan.kind).toBe('refused');
    expect(classifyAfterFailure(first, []).map((o) => o.action)).toEqual(['leave-created']);
  });
});

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

describe('updates (checklist row 21, §2.6)', () => {
  const assignedFor = (desired: DesiredAssignment[], nodes: ClusterNode[] = [nodeA]) =>
    converge(new SimulatedCluster(), desired, nodes);

  test("row 21: editing the identity's clientID → PUT in place (same name, old metadata), Created then Assigned", () => {
    const cluster = assignedFor([desire(podP, idX)]);
    const before = cluster.current()[0]!;
    const stored = { ...before, metadata: { ...before.metadata, uid: 'uid-1', resourceVersion: '42' } };
    cluster.assigned.set('default/p-default-x', stored);
    const edited = identity('x', { clientID: 'new-client', resourceVersion: '2' });
    const target = onlyTarget(plan([desire(podP, edited)], cluster.current(), [nodeA]));
    expect(target.writes).toHaveLength(1);
    const write = target.writes[0]!;
    expect(write.op).toBe('update');
    expect(write.op === 'update' && write.previous).toBe(stored);
    expect(write.object.metadata).toEqual({ ...stored.metadata, labels: { nodename: 'node-a' } });
    expect(write.object.status?.status).toBe('Created');
    expect(write.object.spec.azureIdentityRef?.spec.clientID).toBe('new-client');
    expect(target.delta).toEqual({ add: [lower(uamiId('x'))], remove: [] });
    converge(cluster, [desire(podP, edited)], [nodeA]);
    expect(cluster.current()[0]?.status?.status).toBe('Assigned');
    expect(cluster.identitiesOn(vmKey('node-a'))).toEqual([lower(uamiId('x'))]);
  });

  test('pointing the AzureIdentity at another managed identity swaps it on the VM (add new, remove old)', () => {
    const cluster = assignedFor([desire(podP, idX)]);
    const edited = identity('x', { resourceID: uamiId('x2'), clientID: 'client-x2', resourceVersion: '2' });
    const target = onlyTarget(plan([desire(podP, edited)], cluster.current(), [nodeA]));
    expect(target.delta).toEqual({ add: [lower(uamiId('x2'))], remove: [lower(uamiId('x'))] });
    converge(cluster, [desire(podP, edited)], [nodeA]);
    expect(cluster.identitiesOn(vmKey('node-a'))).toEqual([lower(uamiId('x2'))]);
  });

  test('a new resourceID with the same clientID keeps the old ID on the VM (in use by clientID, conservative)', () => {
    const cluster = assignedFor([desire(podP, idX)]);
    const edited = identity('x', { resourceID: uamiId('x2'), resourceVersion: '2' });
    expect(onlyTarget(plan([desire(podP, edited)], cluster.current(), [nodeA])).delta).toEqual({
      add: [lower(uamiId('x2'))],
      remove: [],
    });
  });

  const materialEdits: Array<[string, DesiredAssignment]> = [
    ['identity type', desire(podP, identity('x', { type: 1, resourceVersion: '2' }))],
    ['binding selector', desire(podP, idX, binding('x-binding', 'x', { selector: 'other', resourceVersion: '2' }))],
    ['binding azureIdentity', desire(podP, idX, binding('x-binding', 'renamed', { resourceVersion: '2' }))],
    ['binding name', desire(podP, idX, binding('other-binding', 'x'))],
    ['node (pod moved)', desire({ name: 'p', node: 'node-b' }, idX)],
  ];
  test.each(materialEdits)('a change of %s is an update', (_what, changed) => {
    const cluster = assignedFor([desire(podP, idX)], [nodeA, vmNode('node-b')]);
    const result = plan([changed], cluster.current(), [nodeA, vmNode('node-b')]);
    expect(result.targets.flatMap((t) => t.writes.map((w) => w.op))).toEqual(['update']);
  });

  test('a pod moving to another VM: update on the new VM, its identity removed from the old VM', () => {
    const nodes = [nodeA, vmNode('node-b')];
    const cluster = assignedFor([desire(podP, idX)], nodes);
    const moved = desire({ name: 'p', node: 'node-b' }, idX);
    const result = plan([moved], cluster.current(), nodes);
    expect(result.targets.map((t) => [t.key, t.writes.length, t.delta])).toEqual([
      [vmKey('node-a'), 0, { add: [], remove: [lower(uamiId('x'))] }],
      [vmKey('node-b'), 1, { add: [lower(uamiId('x'))], remove: [] }],
    ]);
    converge(cluster, [moved], nodes);
    expect(cluster.identitiesOn(vmKey('node-a'))).toEqual([]);
    expect(cluster.identitiesOn(vmKey('node-b'))).toEqual([lower(uamiId('x'))]);
    expect(cluster.current()[0]?.metadata.labels).toEqual({ nodename: 'node-b' });
  });

  test('non-material edits (new resourceVersions, a label, clientID case) do NOT cause updates', () => {
    const cluster = assignedFor([desire(podP, idX)]);
    const relabelled = identity('x', {
      resourceVersion: '99',
      labels: { team: 'a' },
      clientID: 'CLIENT-X',
      resourceID: uamiId('x').toUpperCase(),
    });
    const rebound = binding('x-binding', 'x', { resourceVersion: '55' });
    const result = plan([desire(podP, relabelled, rebound)], cluster.current(), [nodeA]);
    expect(result.targets).toEqual([]);
  });

  test('an Unassigned object that is desired again is rewritten as Created', () => {
    const cluster = assignedFor([desire(podP, idX)]);
    const stuck = { ...cluster.current()[0]!, status: { status: 'Unassigned' } };
    const target = onlyTarget(plan([desire(podP, idX)], [stuck], [nodeA]));
    expect(target.writes.map((w) => [w.op, w.object.status?.status])).toEqual([['update', 'Created']]);
    expect(target.delta).toEqual({ add: [lower(uamiId('x'))], remove: [] });
  });

  test('a legacy object without finalizer gets it on update', () => {
    const cluster = assignedFor([desire(podP, idX)]);
    const old = cluster.current()[0]!;
    const legacy = { ...old, metadata: { ...old.metadata, finalizers: [] } };
    const target = onlyTarget(
      plan([desire({ name: 'p', node: 'node-a' }, identity('x', { clientID: 'c2' }))], [legacy], [nodeA]),
    );
    expect(target.writes[0]?.object.metadata.finalizers).toEqual([ASSIGNED_IDENTITY_FINALIZER]);
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

describe('plan hygiene', () => {
  test('duplicate desired names: the first wins, diagnostic reported', () => {
    const first = desire(podP, idX);
    const second = { ...desire(podP, identity('x', { clientID: 'other' })) };
    const target = onlyTarget(plan([first, second], [], [nodeA]));
    expect(target.writes).toHaveLength(1);
    expect(target.writes[0]?.object.spec.azureIdentityRef?.spec.clientID).toBe('client-x');
  });

  test('an already Assigned, unchanged assignment produces no plan at all', () => {
    const cluster = converge(new SimulatedCluster(), [desire(podP, idX)], [nodeA]);
    expect(plan([desire(podP, idX)], cluster.current(), [nodeA])).toEqual({
      targets: [],
      releasesWithoutArm: [],
      diagnostics: [],
    });
  });
});
