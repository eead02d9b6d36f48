import { describe, expect, test } from '@jest/globals';
import { armTargetKey, armTargetResourceId, MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST } from './index.js';

describe('ARM targets', () => {
  test('VM and VMSS resource IDs', () => {
    expect(armTargetResourceId({ kind: 'vm', subscriptionId: 'S', resourceGroup: 'RG', name: 'Vm1' })).toBe(
      '/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/Vm1',
    );
    expect(armTargetResourceId({ kind: 'vmss', subscriptionId: 'S', resourceGroup: 'RG', name: 'pool' })).toBe(
      '/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachineScaleSets/pool',
    );
  });

  test('keys are case-insensitive and distinguish VM from VMSS', () => {
    const a = armTargetKey({ kind: 'vm', subscriptionId: 'S', resourceGroup: 'RG', name: 'X' });
    expect(a).toBe(armTargetKey({ kind: 'vm', subscriptionId: 's', resourceGroup: 'rg', name: 'x' }));
    expect(a).not.toBe(armTargetKey({ kind: 'vmss', subscriptionId: 'S', resourceGroup: 'RG', name: 'X' }));
  });

  test('chunk size is ARM limit of 150', () => {
    expect(MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST).toBe(150);
  });
});
