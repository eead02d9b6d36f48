import type { ComputeRecord } from '../state/azure-state.js';
import type { ImdsTarget } from './imds-handler.js';

/** A plausible `/metadata/instance` document (compute + network) for the VM or VMSS instance. */
export function instanceMetadata(resource: ComputeRecord, target: ImdsTarget): Record<string, unknown> {
  const isScaleSet = resource.kind === 'virtualMachineScaleSet';
  const name = isScaleSet ? `${resource.name}_${target.instanceId ?? '0'}` : resource.name;
  return {
    compute: {
      azEnvironment: 'AzurePublicCloud',
      location: resource.location,
      name,
      osType: 'Linux',
      computerName: target.nodeName,
      resourceGroupName: resource.resourceGroup,
      subscriptionId: resource.subscriptionId,
      resourceId: isScaleSet ? `${resource.id}/virtualMachines/${target.instanceId ?? '0'}` : resource.id,
      vmId: resource.uniqueId,
      vmScaleSetName: isScaleSet ? resource.name : '',
      vmSize: 'Standard_D2s_v3',
      provider: 'Microsoft.Compute',
      tagsList: [],
    },
    network: {
      interface: [
        {
          ipv4: {
            ipAddress: [{ privateIpAddress: '10.240.0.4', publicIpAddress: '' }],
            subnet: [{ address: '10.240.0.0', prefix: '16' }],
          },
          ipv6: { ipAddress: [] },
          macAddress: '000D3A000000',
        },
      ],
    },
  };
}
