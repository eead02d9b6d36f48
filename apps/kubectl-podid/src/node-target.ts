import type { Node } from '@podid/crd-types';
import { resolveNodeTarget } from '@podid/reconciler';

/** The VM or VMSS MIC puts a node's identities on, read from the node's providerID with MIC's own rule. */
export type NodeArmTarget =
  | {
      readonly kind: 'vmss';
      readonly subscriptionId: string;
      readonly resourceGroup: string;
      readonly name: string;
      readonly providerID: string;
    }
  /** A plain VM: MIC names it after the node, in the resource group of its cloud config (not in the cluster). */
  | { readonly kind: 'vm'; readonly name: string; readonly providerID: string }
  /** A providerID that is no Azure resource (e.g. virtual kubelet): MIC cannot assign identities there. */
  | { readonly kind: 'unmappable'; readonly providerID: string }
  /** The node object does not exist (deleted, or the pod names a node that never joined). */
  | { readonly kind: 'node_not_found' };

export function nodeArmTarget(nodeName: string, node: Node | undefined): NodeArmTarget {
  if (node === undefined) return { kind: 'node_not_found' };
  const providerID = node.spec?.providerID ?? '';
  const resolved = resolveNodeTarget({ name: nodeName, providerID }, { subscriptionId: '', resourceGroup: '' });
  if (resolved.kind === 'unmappable') return { kind: 'unmappable', providerID };
  const { target } = resolved;
  if (target.kind === 'vmss') {
    return {
      kind: 'vmss',
      subscriptionId: target.subscriptionId,
      resourceGroup: target.resourceGroup,
      name: target.name,
      providerID,
    };
  }
  return { kind: 'vm', name: target.name, providerID };
}

/** `vmss mc-nodes/pool-a`, `vm node-1`, ... for tables. */
export function describeNodeArmTarget(target: NodeArmTarget): string {
  switch (target.kind) {
    case 'vmss':
      return `vmss ${target.resourceGroup}/${target.name}`;
    case 'vm':
      return `vm ${target.name}`;
    case 'unmappable':
      return `no Azure VM (providerID ${target.providerID})`;
    case 'node_not_found':
      return 'node not found';
  }
}
