import { describe, expect, test } from '@jest/globals';
import { ASSIGNED_IDENTITY_FINALIZER } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import { planArmPatch } from './arm-patch-plan.js';
import type { ClusterNode } from './arm-target-resolution.js';
import { classifyAfterFailure } from './failure-classification.js';
import {
  binding,
  desire,
  identity,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  uamiId,
  vmNode,
} from './test-support/cluster-fixtures.js';
import { SimulatedCluster } from './test-support/cluster-simulation.js';
import { converge, idX, lower, nodeA, onlyTarget, plan, podP, vmKey } from './test-support/plan-test-kit.js';

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

describe('identities already confirmed on a target', () => {
  test('a new pod beside an Assigned one: its identity is in delta.add and among the confirmed IDs', () => {
    const cluster = new SimulatedCluster();
    converge(cluster, [desire(podP, idX)], [nodeA]);
    const second = desire({ name: 'q', node: 'node-a' }, idX);
    const target = onlyTarget(plan([desire(podP, idX), second], cluster.current(), [nodeA]));
    expect(target.writes.map((w) => w.object.spec.pod)).toEqual(['q']);
    expect(target.delta.add).toEqual([lower(uamiId('x'))]);
    expect(target.confirmedResourceIds).toEqual([lower(uamiId('x'))]);
  });

  test('only Assigned objects that stay desired confirm: a Created one or one being released does not', () => {
    const cluster = new SimulatedCluster();
    converge(cluster, [desire(podP, idX)], [nodeA]);
    const other = desire({ name: 'q', node: 'node-a' }, idX);
    // podP is no longer desired: its object is released, so nothing confirms x for q.
    const released = onlyTarget(plan([other], cluster.current(), [nodeA]));
    expect(released.confirmedResourceIds).toEqual([]);
    // A first assignment (Created, never confirmed by ARM) confirms nothing either.
    expect(onlyTarget(plan([desire(podP, idX)], [], [nodeA])).confirmedResourceIds).toEqual([]);
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

describe('input the matcher would have filtered', () => {
  test('a user-assigned identity without resourceID is skipped with a diagnostic; its existing object is kept', () => {
    const cluster = converge(new SimulatedCluster(), [desire(podP, idX)], [nodeA]);
    const broken = identity('x');
    const { resourceID: _dropped, ...specWithout } = broken.spec;
    const result = plan([desire(podP, { ...broken, spec: specWithout })], cluster.current(), [nodeA]);
    expect(result.targets).toEqual([]);
    expect(result.releasesWithoutArm).toEqual([]);
    expect(result.diagnostics.map((d) => [d.code, d.assignedIdentity])).toEqual([
      ['missing_resource_id', 'default/p-default-x'],
    ]);
  });
});
