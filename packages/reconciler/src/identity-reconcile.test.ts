import { describe, expect, test } from '@jest/globals';
import { armTargetKey } from '@podid/crd-types';
import { planArmPatch } from './arm-patch-plan.js';
import { identityReconcileTargets, planIdentityReconcile } from './identity-reconcile.js';
import { planCycle } from './plan-cycle.js';
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

const lower = (id: string) => id.toLowerCase();
const poolKey = armTargetKey({
  kind: 'vmss',
  subscriptionId: SUBSCRIPTION,
  resourceGroup: RESOURCE_GROUP,
  name: 'pool',
});
const vmKey = armTargetKey({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name: 'vm-1' });
const n0 = vmssNode('pool', 0);
const n1 = vmssNode('pool', 1);
const vm = vmNode('vm-1');
const nodes = [n0, n1, vm];

/** A cluster where pods on both VMSS nodes and the VM hold identities x, y (VMSS) and z (VM), all Assigned. */
function assignedCluster(): SimulatedCluster {
  const desired = [
    desire({ name: 'a', node: n0.name }, identity('x')),
    desire({ name: 'b', node: n1.name }, identity('y')),
    desire({ name: 'c', node: vm.name }, identity('z')),
    desire({ name: 'd', node: vm.name }, identity('sp', { type: 1 })),
  ];
  const cluster = new SimulatedCluster();
  cluster.executeSuccessfully(planCycle({ desired, current: [], nodes, config: baseConfig }));
  return cluster;
}

describe('periodic identity-assignment reconcile (checklist row 35, §2.11)', () => {
  test('targets to read: one per VM/VMSS, expected IDs of Assigned type-0 objects only', () => {
    const cluster = assignedCluster();
    const { targets, diagnostics } = identityReconcileTargets({
      assigned: cluster.current(),
      nodes,
      vmLocation: baseConfig,
    });
    expect(diagnostics).toEqual([]);
    expect(targets.map((t) => [t.key, [...t.expectedResourceIds].sort()])).toEqual([
      [vmKey, [lower(uamiId('z'))]],
      [poolKey, [lower(uamiId('x')), lower(uamiId('y'))]],
    ]);
  });

  test('row 35: an identity removed by hand from the VMSS is re-added; nothing is ever removed', () => {
    const cluster = assignedCluster();
    const manual = lower(uamiId('manual'));
    const actual = new Map([
      [poolKey, [lower(uamiId('y')), manual]], // x was removed by hand, a manual one added
      [vmKey, [uamiId('z').toUpperCase()]], // same ID, other case: present
    ]);
    const { patches, diagnostics } = planIdentityReconcile({
      assigned: cluster.current(),
      nodes,
      vmLocation: baseConfig,
      actual,
    });
    expect(diagnostics).toEqual([]);
    expect(patches).toEqual([
      {
        key: poolKey,
        target: { kind: 'vmss', subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name: 'pool' },
        delta: { add: [lower(uamiId('x'))], remove: [] },
      },
    ]);
    const armPlan = planArmPatch(
      { type: 'UserAssigned', userAssignedIdentityIds: actual.get(poolKey)! },
      patches[0]!.delta,
    );
    expect(armPlan).toEqual({
      kind: 'patch',
      bodies: [{ identity: { type: 'UserAssigned', userAssignedIdentities: { [lower(uamiId('x'))]: {} } } }],
    });
  });

  test('Created objects are not expected on the target yet', () => {
    const created = planCycle({
      desired: [desire({ name: 'a', node: vm.name }, identity('x'))],
      current: [],
      nodes,
      config: baseConfig,
    });
    const objects = created.targets[0]!.writes.map((w) => w.object);
    expect(identityReconcileTargets({ assigned: objects, nodes, vmLocation: baseConfig }).targets).toEqual([]);
  });

  test('Q7 fix: a node that no longer exists is skipped with a diagnostic; the other targets are still reconciled', () => {
    const cluster = assignedCluster();
    const withoutN1 = [n0, vm];
    const { patches, diagnostics } = planIdentityReconcile({
      assigned: cluster.current(),
      nodes: withoutN1,
      vmLocation: baseConfig,
      actual: new Map([
        [poolKey, []],
        [vmKey, []],
      ]),
    });
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'node_not_found', subject: n1.name })]);
    expect(patches.map((p) => [p.key, p.delta.add])).toEqual([
      [vmKey, [lower(uamiId('z'))]],
      [poolKey, [lower(uamiId('x'))]],
    ]);
  });

  test('a target whose identities could not be read is skipped with a diagnostic', () => {
    const cluster = assignedCluster();
    const { patches, diagnostics } = planIdentityReconcile({
      assigned: cluster.current(),
      nodes,
      vmLocation: baseConfig,
      actual: new Map([[vmKey, []]]),
    });
    expect(patches.map((p) => p.key)).toEqual([vmKey]);
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'target_not_read', subject: poolKey })]);
  });
});
