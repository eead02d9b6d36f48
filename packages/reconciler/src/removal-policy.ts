import type { AzureAssignedIdentity, AzureIdentity } from '@podid/crd-types';
import { countsAsAssigned, lowerClientId, userAssignedResourceId } from './assigned-identity-facts.js';

/** The identities MIC must never take off a VM/VMSS, whatever the AzureAssignedIdentities say (§2.8). */
export interface ProtectedIdentities {
  /** `--immutable-user-msis` client IDs. Compared case-insensitively (upstream: exact, Q4). */
  readonly immutableClientIds: readonly string[];
  /** The cluster (kubelet) identity's client ID from the cloud config (`userAssignedIdentityID`). */
  readonly clusterIdentityClientId?: string | undefined;
}

/**
 * Which user-assigned identities desired assignments use on each ARM target. An identity counts as used on a
 * target when any desired assignment there names the same resourceID or the same clientID (both case-insensitive);
 * upstream only looked at clientIDs of pods with a different *name* (Q3).
 */
export class IdentityUsage {
  readonly #used = new Set<string>();

  record(targetKey: string, identity: AzureIdentity): void {
    const resourceId = userAssignedResourceId(identity);
    if (resourceId === undefined) return;
    this.#used.add(`${targetKey}\u0000r:${resourceId}`);
    const clientId = lowerClientId(identity);
    if (clientId !== '') this.#used.add(`${targetKey}\u0000c:${clientId}`);
  }

  isUsed(targetKey: string, identity: AzureIdentity): boolean {
    const resourceId = userAssignedResourceId(identity);
    if (resourceId !== undefined && this.#used.has(`${targetKey}\u0000r:${resourceId}`)) return true;
    const clientId = lowerClientId(identity);
    return clientId !== '' && this.#used.has(`${targetKey}\u0000c:${clientId}`);
  }
}

/** Decides whether releasing an AzureAssignedIdentity also takes its identity off the VM/VMSS (§2.8). */
export class RemovalPolicy {
  readonly #protectedClientIds: ReadonlySet<string>;
  readonly #usage: IdentityUsage;

  constructor(protectedIdentities: ProtectedIdentities, usage: IdentityUsage) {
    this.#usage = usage;
    const ids = protectedIdentities.immutableClientIds.map((id) => id.toLowerCase());
    if (protectedIdentities.clusterIdentityClientId)
      ids.push(protectedIdentities.clusterIdentityClientId.toLowerCase());
    this.#protectedClientIds = new Set(ids.filter((id) => id !== ''));
  }

  /**
   * The lower-cased resourceID to remove, ignoring whether it is still in use: only for an object that is
   * `Assigned` (or legacy, no status), of a user-assigned identity, that is neither immutable nor the cluster identity.
   * A `Created` object's identity was never confirmed on Azure, so it is never removed.
   */
  candidateResourceId(assigned: AzureAssignedIdentity): string | undefined {
    if (!countsAsAssigned(assigned)) return undefined;
    const identity = assigned.spec.azureIdentityRef;
    const resourceId = userAssignedResourceId(identity);
    if (resourceId === undefined) return undefined;
    if (this.#protectedClientIds.has(lowerClientId(identity))) return undefined;
    return resourceId;
  }

  /** {@link candidateResourceId}, and not used by any desired assignment on the same target. */
  resourceIdToRemove(assigned: AzureAssignedIdentity, targetKey: string): string | undefined {
    const resourceId = this.candidateResourceId(assigned);
    if (resourceId === undefined) return undefined;
    const identity = assigned.spec.azureIdentityRef;
    if (identity !== undefined && this.#usage.isUsed(targetKey, identity)) return undefined;
    return resourceId;
  }
}
