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
 * The identities desired assignments use on one ARM target. An identity counts as used there when any desired
 * assignment on the target names the same resourceID or the same clientID (both case-insensitive); upstream only
 * looked at clientIDs of pods with a different *name* (Q3).
 *
 * Recording is a pointer insert per desired assignment (the matcher hands out the same AzureIdentity object to every
 * pod it binds); the ID sets are built only if a release on this target needs them, which keeps a cycle with no
 * releases cheap.
 */
export class TargetIdentityUsage {
  readonly #identities = new Set<AzureIdentity>();
  #resourceIds: Set<string> | undefined;
  #clientIds: Set<string> | undefined;

  record(identity: AzureIdentity): void {
    this.#identities.add(identity);
  }

  uses(identity: AzureIdentity): boolean {
    if (this.#resourceIds === undefined || this.#clientIds === undefined) {
      this.#resourceIds = new Set();
      this.#clientIds = new Set();
      for (const used of this.#identities) {
        const resourceId = userAssignedResourceId(used);
        if (resourceId === undefined) continue;
        this.#resourceIds.add(resourceId);
        const clientId = lowerClientId(used);
        if (clientId !== '') this.#clientIds.add(clientId);
      }
    }
    const resourceId = userAssignedResourceId(identity);
    if (resourceId !== undefined && this.#resourceIds.has(resourceId)) return true;
    const clientId = lowerClientId(identity);
    return clientId !== '' && this.#clientIds.has(clientId);
  }
}

/** Decides whether releasing an AzureAssignedIdentity also takes its identity off the VM/VMSS (§2.8). */
export class RemovalPolicy {
  readonly #protectedClientIds: ReadonlySet<string>;

  constructor(protectedIdentities: ProtectedIdentities) {
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

  /** {@link candidateResourceId}, and not used by any desired assignment on the object's target. */
  resourceIdToRemove(assigned: AzureAssignedIdentity, usage: TargetIdentityUsage): string | undefined {
    const resourceId = this.candidateResourceId(assigned);
    if (resourceId === undefined) return undefined;
    const identity = assigned.spec.azureIdentityRef;
    if (identity !== undefined && usage.uses(identity)) return undefined;
    return resourceId;
  }
}
