import type { AzureIdentity, AzureIdentityBinding } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import type { ClusterNode } from '../arm-target-resolution.js';
import type { ReconcilerConfig } from '../plan-cycle.js';

/** Small builders for reconciler tests. Names are short on purpose so failures read easily. */

export const SUBSCRIPTION = 'sub-1';
export const RESOURCE_GROUP = 'mc_rg';

export const baseConfig: ReconcilerConfig = {
  subscriptionId: SUBSCRIPTION,
  resourceGroup: RESOURCE_GROUP,
  immutableClientIds: [],
};

export function uamiId(name: string): string {
  return `/subscriptions/${SUBSCRIPTION}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

export interface IdentityOptions {
  readonly namespace?: string;
  readonly type?: number;
  readonly clientID?: string;
  readonly resourceID?: string;
  readonly resourceVersion?: string;
  readonly labels?: Record<string, string>;
}

export function identity(name: string, options: IdentityOptions = {}): AzureIdentity {
  const type = options.type ?? 0;
  return {
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      resourceVersion: options.resourceVersion ?? '1',
      ...(options.labels === undefined ? {} : { labels: options.labels }),
    },
    spec: {
      type,
      clientID: options.clientID ?? `client-${name}`,
      ...(type === 0 ? { resourceID: options.resourceID ?? uamiId(name) } : { tenantID: 'tenant' }),
    },
  };
}

export function binding(
  name: string,
  identityName: string,
  options: { namespace?: string; selector?: string; resourceVersion?: string } = {},
): AzureIdentityBinding {
  return {
    metadata: { name, namespace: options.namespace ?? 'default', resourceVersion: options.resourceVersion ?? '1' },
    spec: { azureIdentity: identityName, selector: options.selector ?? name },
  };
}

/** A desired assignment as the matcher would produce it (upstream-style name, `default` namespace). */
export function desire(
  pod: { name: string; namespace?: string; node: string },
  id: AzureIdentity,
  bound: AzureIdentityBinding = binding(`${id.metadata.name}-binding`, id.metadata.name),
): DesiredAssignment {
  const podNamespace = pod.namespace ?? 'default';
  return {
    name: `${pod.name}-${podNamespace}-${id.metadata.name}`,
    namespace: 'default',
    podName: pod.name,
    podNamespace,
    nodeName: pod.node,
    identity: id,
    binding: bound,
  };
}

export function vmNode(name: string): ClusterNode {
  return {
    name,
    providerID: `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachines/${name}`,
  };
}

export function vmssNode(vmss: string, instance: number): ClusterNode {
  return {
    name: `${vmss}-${String(instance).padStart(6, '0')}`,
    providerID: `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${instance}`,
  };
}
