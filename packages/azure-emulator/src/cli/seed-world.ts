import type { AzureEmulator } from '../azure-emulator.js';

export interface SeededWorld {
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  servicePrincipal: { clientId: string; clientSecret: string };
  identities: { id: string; clientId: string; principalId: string }[];
  virtualMachines: { id: string; nodeName: string; imdsUrl: string }[];
}

/**
 * A ready-to-use world for the CLI's `--seed`: one subscription and resource group, a service principal with a
 * secret, `identityCount` user-assigned identities and `vmCount` VMs (nodes) with their own IMDS listeners.
 * The secret is generated per start and only printed to the operator's terminal.
 */
export async function seedWorld(
  emulator: AzureEmulator,
  options: { identityCount: number; vmCount: number; clientSecret: string },
): Promise<SeededWorld> {
  const { admin } = emulator;
  const { subscriptionId, tenantId } = admin.createSubscription();
  const resourceGroup = 'podid-sandbox';
  admin.createResourceGroup({ subscriptionId, name: resourceGroup });
  const sp = admin.createServicePrincipal({ tenantId, secret: options.clientSecret, displayName: 'podid-mic' });
  const identities = [];
  for (let i = 0; i < options.identityCount; i++) {
    const record = admin.createUserAssignedIdentity({ subscriptionId, resourceGroup, name: `identity-${i}` });
    identities.push({ id: record.id, clientId: record.clientId, principalId: record.principalId });
  }
  const virtualMachines = [];
  for (let i = 0; i < options.vmCount; i++) {
    const nodeName = `node-${i}`;
    const created = await admin.createVirtualMachine({ subscriptionId, resourceGroup, name: nodeName });
    virtualMachines.push({ id: created.id, nodeName, imdsUrl: created.imds[0]!.url });
  }
  return {
    tenantId,
    subscriptionId,
    resourceGroup,
    servicePrincipal: { clientId: sp.clientId, clientSecret: options.clientSecret },
    identities,
    virtualMachines,
  };
}
