/**
 * The emulated Azure the sandbox runs against: one subscription and resource group, scale sets and plain VMs whose
 * instances are the Kubernetes nodes (each with its own IMDS listener), user-assigned identities, a service principal
 * workloads can use as an identity, and the service principal MIC signs in with.
 */
import { randomBytes } from 'node:crypto';
import type { AzureEmulator } from '@podid/azure-emulator';

export interface SandboxIdentity {
  name: string;
  /** ARM resource ID (`/subscriptions/.../userAssignedIdentities/<name>`). */
  resourceId: string;
  clientId: string;
  principalId: string;
}

export interface SandboxNode {
  name: string;
  /** The Node object's spec.providerID, which MIC maps to the VM or VMSS. */
  providerID: string;
  /** ARM ID of the VM or VMSS holding this node's identities. */
  computeId: string;
  kind: 'vm' | 'vmss';
  /** This node's emulated IMDS (what NMI forwards token requests to). */
  imdsUrl: string;
}

export interface AzureWorld {
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  /** The credentials MIC authenticates to ARM with (cloud config aadClientId/aadClientSecret). */
  micPrincipal: { clientId: string; clientSecret: string };
  /** A service principal usable as a type-1 AzureIdentity (secret in a Kubernetes Secret). */
  workloadPrincipal: { clientId: string; clientSecret: string };
  identities: SandboxIdentity[];
  /** On every VM/VMSS from the start and named in the cloud config: MIC must never remove it. */
  clusterIdentity: SandboxIdentity | undefined;
  /** On every VM/VMSS from the start, referenced by no AzureIdentity: MIC must leave it alone. */
  unrelatedIdentity: SandboxIdentity | undefined;
  nodes: SandboxNode[];
  scaleSetIds: string[];
  virtualMachineIds: string[];
}

export interface AzureWorldShape {
  /** Number of scale sets (default 1). */
  scaleSets: number;
  /** Instances (nodes) per scale set (default 2). */
  nodesPerScaleSet: number;
  /** Plain VMs, one node each (default 1). */
  virtualMachines: number;
  /** User-assigned identities (default 2). */
  identities: number;
  /** A cluster identity, an unrelated identity and a system-assigned identity on every VM/VMSS (default true). */
  preassignedIdentities: boolean;
}

export const DEFAULT_WORLD_SHAPE: AzureWorldShape = {
  scaleSets: 1,
  nodesPerScaleSet: 2,
  virtualMachines: 1,
  identities: 2,
  preassignedIdentities: true,
};

export const SANDBOX_RESOURCE_GROUP = 'podid-sandbox';

/** ARM IDs are case-insensitive; Kubernetes providerIDs are written `azure://` + the ID. */
function providerIdFor(computeId: string, instanceId?: string): string {
  return `azure://${computeId}${instanceId === undefined ? '' : `/virtualMachines/${instanceId}`}`;
}

export async function createAzureWorld(emulator: AzureEmulator, shape: AzureWorldShape): Promise<AzureWorld> {
  const { admin } = emulator;
  const { subscriptionId, tenantId } = admin.createSubscription();
  const resourceGroup = SANDBOX_RESOURCE_GROUP;
  admin.createResourceGroup({ subscriptionId, name: resourceGroup });
  // Secrets are made per start and only ever written to files readable by this user.
  const micSecret = randomBytes(24).toString('base64url');
  const mic = admin.createServicePrincipal({ tenantId, secret: micSecret, displayName: 'podid-mic' });
  const workloadSecret = randomBytes(24).toString('base64url');
  const workload = admin.createServicePrincipal({ tenantId, secret: workloadSecret, displayName: 'sandbox-app' });

  const makeIdentity = (name: string): SandboxIdentity => {
    const record = admin.createUserAssignedIdentity({ subscriptionId, resourceGroup, name });
    return { name, resourceId: record.id, clientId: record.clientId, principalId: record.principalId };
  };
  const identities: SandboxIdentity[] = [];
  for (let i = 0; i < shape.identities; i++) identities.push(makeIdentity(`identity-${i + 1}`));
  const clusterIdentity = shape.preassignedIdentities ? makeIdentity('cluster-identity') : undefined;
  const unrelatedIdentity = shape.preassignedIdentities ? makeIdentity('unrelated-identity') : undefined;
  const preassigned = shape.preassignedIdentities
    ? {
        systemAssignedIdentity: true,
        userAssignedIdentities: [clusterIdentity!.resourceId, unrelatedIdentity!.resourceId],
      }
    : {};

  const nodes: SandboxNode[] = [];
  const scaleSetIds: string[] = [];
  for (let s = 0; s < shape.scaleSets; s++) {
    const name = `vmss-${s + 1}`;
    const instances = Array.from({ length: shape.nodesPerScaleSet }, (_, i) => ({
      nodeName: `${name}-node-${i}`,
      instanceId: String(i),
    }));
    const created = await admin.createVirtualMachineScaleSet({
      subscriptionId,
      resourceGroup,
      name,
      instances,
      ...preassigned,
    });
    scaleSetIds.push(created.id);
    for (const instance of instances) {
      const imds = created.imds.find((endpoint) => endpoint.nodeName === instance.nodeName);
      nodes.push({
        name: instance.nodeName,
        providerID: providerIdFor(created.id, instance.instanceId),
        computeId: created.id,
        kind: 'vmss',
        imdsUrl: imds?.url ?? '',
      });
    }
  }
  const virtualMachineIds: string[] = [];
  for (let v = 0; v < shape.virtualMachines; v++) {
    const name = `vm-node-${v + 1}`;
    const created = await admin.createVirtualMachine({ subscriptionId, resourceGroup, name, ...preassigned });
    virtualMachineIds.push(created.id);
    nodes.push({
      name,
      providerID: providerIdFor(created.id),
      computeId: created.id,
      kind: 'vm',
      imdsUrl: created.imds[0]?.url ?? '',
    });
  }
  return {
    tenantId,
    subscriptionId,
    resourceGroup,
    micPrincipal: { clientId: mic.clientId, clientSecret: micSecret },
    workloadPrincipal: { clientId: workload.clientId, clientSecret: workloadSecret },
    identities,
    clusterIdentity,
    unrelatedIdentity,
    nodes,
    scaleSetIds,
    virtualMachineIds,
  };
}
