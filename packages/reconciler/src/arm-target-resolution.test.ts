import { describe, expect, test } from '@jest/globals';
import { resolveNodeTarget } from './arm-target-resolution.js';

const config = { subscriptionId: 'cfg-sub', resourceGroup: 'cfg-rg' };

describe('resolveNodeTarget (§2.7)', () => {
  test('a scale-set instance maps to its scale set, sub and group from the providerID', () => {
    const resolution = resolveNodeTarget(
      {
        name: 'aks-pool-000001',
        providerID:
          'azure:///subscriptions/S1/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool-123/virtualMachines/1',
      },
      config,
    );
    expect(resolution).toEqual({
      kind: 'target',
      target: { kind: 'vmss', subscriptionId: 'S1', resourceGroup: 'MC_rg', name: 'aks-pool-123' },
      key: '/subscriptions/s1/resourcegroups/mc_rg/providers/microsoft.compute/virtualmachinescalesets/aks-pool-123',
    });
  });

  test('matching is case-insensitive; a scale-set ID without instance still names the scale set', () => {
    const resolution = resolveNodeTarget(
      {
        name: 'n',
        providerID: 'azure:///SUBSCRIPTIONS/s/RESOURCEGROUPS/rg/PROVIDERS/microsoft.compute/VIRTUALMACHINESCALESETS/ss',
      },
      config,
    );
    expect(resolution.kind === 'target' && resolution.target).toEqual({
      kind: 'vmss',
      subscriptionId: 's',
      resourceGroup: 'rg',
      name: 'ss',
    });
  });

  test('a VM maps to a VM named like the node in the cloud-config group (Q15), whatever the providerID says', () => {
    const resolution = resolveNodeTarget(
      {
        name: 'node-1',
        providerID: 'azure:///subscriptions/S1/resourceGroups/other/providers/Microsoft.Compute/virtualMachines/vm-9',
      },
      config,
    );
    expect(resolution.kind === 'target' && resolution.target).toEqual({
      kind: 'vm',
      subscriptionId: 'cfg-sub',
      resourceGroup: 'cfg-rg',
      name: 'node-1',
    });
  });

  test.each([undefined, ''])('providerID %p → VM named like the node', (providerID) => {
    const resolution = resolveNodeTarget({ name: 'node-2', providerID }, config);
    expect(resolution.kind === 'target' && resolution.target.name).toBe('node-2');
  });

  test.each(['vk://aci/virtual-node', 'kind://docker/kind/kind-worker', 'aws:///us-east-1a/i-0abc'])(
    'non-Azure providerID %p is unmappable (no throw)',
    (providerID) => {
      expect(resolveNodeTarget({ name: 'x', providerID }, config)).toEqual({ kind: 'unmappable', providerID });
    },
  );
});
