import type { ArmTarget } from '@podid/crd-types';
import { armTargetKey } from '@podid/crd-types';

/** The two fields of a Kubernetes Node the reconciler reads. */
export interface ClusterNode {
  readonly name: string;
  /** `spec.providerID`, e.g. `azure:///subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/...`. */
  readonly providerID?: string | undefined;
}

/** Where plain-VM nodes live: the cloud config's subscription and resource group (§2.7, Q15). */
export interface VmLocation {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

export type NodeTargetResolution =
  | { readonly kind: 'target'; readonly target: ArmTarget; readonly key: string }
  | { readonly kind: 'unmappable'; readonly providerID: string };

// Written from the shape described in §2.7: `subscriptions/<sub>/resourceGroups/<rg>/providers/<ns>/<type>/<name>`,
// optionally followed by a nested child (`/virtualMachines/<instance>` for scale-set instances). Case-insensitive.
const NESTED_PROVIDER_ID = /subscriptions\/(.+)\/resourceGroups\/(.+)\/providers\/(.+?)\/(.+?)\/(.+?)\/(.+)/i;
const FLAT_PROVIDER_ID = /subscriptions\/(.+)\/resourceGroups\/(.+)\/providers\/(.+?)\/(.+?)\/(.+)/i;

/**
 * Maps a node to the ARM resource whose identity list serves it.
 *
 * - Scale-set instance → the scale set (all its nodes share one target), subscription and resource group taken from
 *   the providerID.
 * - Anything else that parses, or an empty providerID → a plain VM named like the node, in the cloud config's
 *   resource group (upstream's rule, Q15).
 * - A non-empty providerID that is not an Azure resource path (e.g. a virtual-kubelet node) → `unmappable`: upstream
 *   would PATCH a VM named like the node and fail on every cycle; podid reports it instead.
 */
export function resolveNodeTarget(node: ClusterNode, vmLocation: VmLocation): NodeTargetResolution {
  const providerID = node.providerID ?? '';
  if (providerID === '') return vmTarget(node.name, vmLocation);
  const match = NESTED_PROVIDER_ID.exec(providerID) ?? FLAT_PROVIDER_ID.exec(providerID);
  if (match === null) return { kind: 'unmappable', providerID };
  const [, subscriptionId = '', resourceGroup = '', , resourceType = '', name = ''] = match;
  if (resourceType.toLowerCase() === 'virtualmachinescalesets') {
    return withKey({ kind: 'vmss', subscriptionId, resourceGroup, name });
  }
  return vmTarget(node.name, vmLocation);
}

function vmTarget(nodeName: string, vmLocation: VmLocation): NodeTargetResolution {
  return withKey({
    kind: 'vm',
    subscriptionId: vmLocation.subscriptionId,
    resourceGroup: vmLocation.resourceGroup,
    name: nodeName,
  });
}

function withKey(target: ArmTarget): NodeTargetResolution {
  return { kind: 'target', target, key: armTargetKey(target) };
}

/** Resolves every node once; lookups by node name afterwards. */
export function resolveNodeTargets(
  nodes: readonly ClusterNode[],
  vmLocation: VmLocation,
): ReadonlyMap<string, NodeTargetResolution> {
  const byName = new Map<string, NodeTargetResolution>();
  for (const node of nodes) byName.set(node.name, resolveNodeTarget(node, vmLocation));
  return byName;
}
