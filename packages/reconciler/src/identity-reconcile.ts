import type { ArmTarget, AzureAssignedIdentity, IdentityDelta } from '@podid/crd-types';
import { assignedIdentityKey, countsAsAssigned, userAssignedResourceId } from './assigned-identity-facts.js';
import type { ClusterNode, VmLocation } from './arm-target-resolution.js';
import { resolveNodeTargets } from './arm-target-resolution.js';

/** One VM/VMSS the periodic reconcile must read, with the identities the AzureAssignedIdentities say it holds. */
export interface ReconcileTarget {
  readonly key: string;
  readonly target: ArmTarget;
  /** Lower-cased, unique resourceIDs of `Assigned` (or legacy) user-assigned identities on this target's nodes. */
  readonly expectedResourceIds: readonly string[];
}

export type ReconcileDiagnosticCode = 'node_not_found' | 'unmappable_provider_id' | 'target_not_read';

export interface ReconcileDiagnostic {
  readonly code: ReconcileDiagnosticCode;
  readonly message: string;
  /** The node concerned, or for `target_not_read` the target key. */
  readonly subject: string;
}

export interface ReconcileTargets {
  readonly targets: readonly ReconcileTarget[];
  readonly diagnostics: readonly ReconcileDiagnostic[];
}

export interface IdentityReconcileInput {
  readonly assigned: readonly AzureAssignedIdentity[];
  readonly nodes: readonly ClusterNode[];
  readonly vmLocation: VmLocation;
}

/**
 * Step 1 of the periodic identity-assignment reconcile (§2.11): which targets to read. A node that no longer
 * exists (or cannot be mapped) is skipped with a diagnostic; upstream aborted the whole reconcile (Q7).
 */
export function identityReconcileTargets(input: IdentityReconcileInput): ReconcileTargets {
  const nodeTargets = resolveNodeTargets(input.nodes, input.vmLocation);
  const targets = new Map<string, { target: ArmTarget; ids: Set<string> }>();
  const diagnostics: ReconcileDiagnostic[] = [];
  const reported = new Set<string>();
  for (const assigned of input.assigned) {
    if (!countsAsAssigned(assigned)) continue;
    const resourceId = userAssignedResourceId(assigned.spec.azureIdentityRef);
    if (resourceId === undefined) continue;
    const nodeName = assigned.spec.nodename ?? '';
    const at = nodeTargets.get(nodeName);
    if (at === undefined || at.kind === 'unmappable') {
      if (!reported.has(nodeName)) {
        reported.add(nodeName);
        diagnostics.push(
          at === undefined
            ? {
                code: 'node_not_found',
                message: `node ${nodeName} of ${assignedIdentityKey(assigned)} not found; skipped`,
                subject: nodeName,
              }
            : {
                code: 'unmappable_provider_id',
                message: `node ${nodeName} has providerID ${JSON.stringify(at.providerID)}, which names no Azure VM or VMSS; skipped`,
                subject: nodeName,
              },
        );
      }
      continue;
    }
    let entry = targets.get(at.key);
    if (entry === undefined) {
      entry = { target: at.target, ids: new Set() };
      targets.set(at.key, entry);
    }
    entry.ids.add(resourceId);
  }
  return {
    targets: [...targets.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, { target, ids }]) => ({ key, target, expectedResourceIds: [...ids] })),
    diagnostics,
  };
}

export interface IdentityReconcilePatch {
  readonly key: string;
  readonly target: ArmTarget;
  /** Only additions: the periodic reconcile never removes anything. */
  readonly delta: IdentityDelta;
}

export interface IdentityReconcilePlan {
  readonly patches: readonly IdentityReconcilePatch[];
  readonly diagnostics: readonly ReconcileDiagnostic[];
}

/**
 * The periodic identity-assignment reconcile (§2.11): re-add every identity an `Assigned` AzureAssignedIdentity
 * expects on its VM/VMSS that the target no longer has (e.g. removed by a node-image upgrade). Never removes.
 * `actual` maps target keys to the identity IDs read from ARM; a target missing from it (its GET failed) is skipped.
 * IDs are compared case-insensitively (upstream compared exact strings and re-sent IDs differing only in case).
 */
export function planIdentityReconcile(
  input: IdentityReconcileInput & { readonly actual: ReadonlyMap<string, readonly string[]> },
): IdentityReconcilePlan {
  const { targets, diagnostics } = identityReconcileTargets(input);
  const allDiagnostics = [...diagnostics];
  const patches: IdentityReconcilePatch[] = [];
  for (const { key, target, expectedResourceIds } of targets) {
    const actualIds = input.actual.get(key);
    if (actualIds === undefined) {
      allDiagnostics.push({
        code: 'target_not_read',
        message: `identities of ${key} were not read; skipped`,
        subject: key,
      });
      continue;
    }
    const present = new Set(actualIds.map((id) => id.toLowerCase()));
    const missing = expectedResourceIds.filter((id) => !present.has(id));
    if (missing.length > 0) patches.push({ key, target, delta: { add: missing, remove: [] } });
  }
  return { patches, diagnostics: allDiagnostics };
}
