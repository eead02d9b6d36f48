import type { ArmTarget, AzureAssignedIdentity, IdentityDelta } from '@podid/crd-types';

/**
 * Kubernetes write to make before the ARM call of a target (§2.9 steps 1–2). Both carry status `Created`.
 * - `create`: POST `object` (new, with finalizer).
 * - `update`: PUT `object` over `previous` (same name, previous metadata incl. resourceVersion).
 */
export type AssignedIdentityWrite =
  | { readonly op: 'create'; readonly object: AzureAssignedIdentity }
  | { readonly op: 'update'; readonly object: AzureAssignedIdentity; readonly previous: AzureAssignedIdentity };

/** An AzureAssignedIdentity that becomes `Assigned` once its identity is on the target. */
export interface PendingAssignment {
  /** The object as it is after this target's writes (for a retry: as it already is, status `Created`). */
  readonly object: AzureAssignedIdentity;
  /** Lower-cased resourceID for a user-assigned identity; undefined for service principals (no ARM involvement). */
  readonly resourceId: string | undefined;
}

/** An AzureAssignedIdentity to delete because nothing desires it any more. */
export interface PendingRelease {
  readonly object: AzureAssignedIdentity;
  /**
   * Lower-cased resourceID this release asks ARM to remove (§2.8 allowed it); undefined when the identity stays on
   * the target (Created, service principal, immutable, cluster identity, or still used there).
   */
  readonly removesResourceId: string | undefined;
}

/**
 * What the executor does with one AzureAssignedIdentity after the target's ARM step:
 * - `mark-assigned`: JSON-patch `status.status` to `Assigned` (Normal event `binding applied`).
 * - `leave-created`: keep `Created` (Warning event `binding apply error`); the next cycle retries it.
 * - `release`: if `markUnassigned`, JSON-patch status to `Unassigned`; then DELETE and strip the finalizer (§2.12).
 * - `retry-release`: the identity is still on the target; keep the object, the next cycle retries the removal.
 */
export type AssignmentOutcome =
  | { readonly action: 'mark-assigned'; readonly object: AzureAssignedIdentity }
  | { readonly action: 'leave-created'; readonly object: AzureAssignedIdentity }
  | { readonly action: 'release'; readonly object: AzureAssignedIdentity; readonly markUnassigned: boolean }
  | { readonly action: 'retry-release'; readonly object: AzureAssignedIdentity };

/** All work for one VM or one VMSS (every node of a scale set shares one TargetPlan). */
export interface TargetPlan {
  /** `armTargetKey(target)`. */
  readonly key: string;
  readonly target: ArmTarget;
  /** Nodes served by this target that have work in this plan, sorted. */
  readonly nodeNames: readonly string[];
  /** Kubernetes writes to finish before the ARM call. */
  readonly writes: readonly AssignedIdentityWrite[];
  /** User-assigned identity IDs (lower-cased, unique, disjoint) to add and remove; feed to `planArmPatch`. */
  readonly delta: IdentityDelta;
  /** Creates, updates and retries of `Created` objects, awaiting ARM. */
  readonly pending: readonly PendingAssignment[];
  /** Deletes. */
  readonly releases: readonly PendingRelease[];
  /** What to do when the ARM step succeeds (or has nothing to do). On failure use `classifyAfterFailure`. */
  readonly onSuccess: readonly AssignmentOutcome[];
  /**
   * Lower-cased resourceIDs that `Assigned` objects on this target, still desired, account for: an earlier cycle saw
   * them on the VM/VMSS. When every ID in `delta.add` is here and nothing is removed, an executor may read the
   * target first and, if they are all still there, write the new objects directly as `Assigned` (no ARM update).
   */
  readonly confirmedResourceIds: readonly string[];
}

export type PlanDiagnosticCode =
  /** A desired assignment's pod is on a node missing from the node list: not created/updated this cycle. */
  | 'node_not_found'
  /** A node's providerID names no Azure VM or VMSS: its assignments are skipped. Reported once per node. */
  | 'unmappable_provider_id'
  /** An assignment on an unmappable node was skipped (create/update), or its release was held back. */
  | 'assignment_skipped'
  /** A desired user-assigned identity without resourceID (the matcher filters these): skipped. */
  | 'missing_resource_id'
  /** Two desired assignments with the same namespace/name: the first is kept (§2.5). */
  | 'duplicate_assignment';

export interface PlanDiagnostic {
  readonly code: PlanDiagnosticCode;
  readonly message: string;
  readonly nodeName: string;
  /** `namespace/name` of the AzureAssignedIdentity concerned, when there is one. */
  readonly assignedIdentity?: string;
  /** The pod the assignment is for, when there is one (so its owner can be told, e.g. with an Event). */
  readonly pod?: { readonly namespace: string; readonly name: string };
  /** The node's providerID, for `unmappable_provider_id` (empty when the node has none). */
  readonly providerID?: string;
}

/** The result of one sync cycle's planning. Empty `targets` and `releasesWithoutArm` = nothing to do. */
export interface Plan {
  /** Sorted by key; only targets with work. At most one per VM and one per VMSS. */
  readonly targets: readonly TargetPlan[];
  /** AzureAssignedIdentities of nodes that no longer exist: delete (strip finalizer) without any ARM call (§2.7). */
  readonly releasesWithoutArm: readonly AzureAssignedIdentity[];
  readonly diagnostics: readonly PlanDiagnostic[];
}
