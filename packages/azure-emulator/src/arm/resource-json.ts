import type { ComputeIdentity, ComputeRecord, UserAssignedIdentityRecord } from '../state/azure-state.js';
import { identityToJson } from './identity-patch.js';

/** The VM / VMSS model as ARM returns it (only the parts an identity controller reads, plus plausible basics). */
export function computeToJson(
  record: ComputeRecord,
  overrides: { identity?: ComputeIdentity; provisioningState?: string } = {},
): Record<string, unknown> {
  const identity = identityToJson(overrides.identity ?? record.identity);
  const provisioningState = overrides.provisioningState ?? record.provisioningState;
  const base: Record<string, unknown> = {
    id: record.id,
    name: record.name,
    location: record.location,
    ...(identity ? { identity } : {}),
  };
  if (record.kind === 'virtualMachine') {
    return {
      ...base,
      type: 'Microsoft.Compute/virtualMachines',
      properties: {
        vmId: record.uniqueId,
        hardwareProfile: { vmSize: 'Standard_D2s_v3' },
        osProfile: { computerName: record.name, adminUsername: 'azureuser' },
        provisioningState,
      },
    };
  }
  return {
    ...base,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    sku: { name: 'Standard_D2s_v3', tier: 'Standard', capacity: record.instances.length },
    properties: {
      uniqueId: record.uniqueId,
      upgradePolicy: { mode: 'Manual' },
      singlePlacementGroup: true,
      provisioningState,
    },
  };
}

export function identityResourceToJson(record: UserAssignedIdentityRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    location: record.location,
    tags: {},
    properties: {
      tenantId: record.tenantId,
      principalId: record.principalId,
      clientId: record.clientId,
      isolationScope: 'None',
    },
  };
}
