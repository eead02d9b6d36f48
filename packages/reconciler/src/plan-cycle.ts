import type { ArmTarget, AzureAssignedIdentity } from '@podid/crd-types';
import { AssignedIdentityState } from '@podid/crd-types';
import {
  assignedIdentityKey,
  countsAsAssigned,
  objectKey,
  recordsSameAssignment,
  statusOf,
  userAssignedResourceId,
} from './assigned-identity-facts.js';
import { AssignedIdentityObjectBuilder } from './assigned-identity-objects.js';
import type { ClusterNode, NodeTargetResolution, VmLocation } from './arm-target-resolution.js';
import { resolveNodeTargets } from './arm-target-resolution.js';
import type { DesiredAssignment } from '@podid/matcher';
import type {
  AssignedIdentityWrite,
  AssignmentOutcome,
  PendingAssignment,
  PendingRelease,
  Plan,
  PlanDiagnostic,
  TargetPlan,
} from './plan-types.js';
import type { ProtectedIdentities } from './removal-policy.js';
import { IdentityUsage, RemovalPolicy } from './removal-policy.js';

export interface ReconcilerConfig extends VmLocation, ProtectedIdentities {}

export interface PlanCycleInput {
  /** From the matcher. */
  readonly desired: readonly DesiredAssignment[];
  /** Every AzureAssignedIdentity in the cluster. */
  readonly current: readonly AzureAssignedIdentity[];
  /** Every node in the cluster. */
  readonly nodes: readonly ClusterNode[];
  readonly config: ReconcilerConfig;
}

/**
 * One MIC sync cycle as data (§2.4–§2.9): compares desired assignments with the AzureAssignedIdentities that exist
 * and returns, per VM/VMSS, the Kubernetes writes, the ARM delta, and what to do with each object afterwards.
 * Pure: no I/O, no clock; the same input always gives the same plan. Runs in time linear in its input.
 */
export function planCycle(input: PlanCycleInput): Plan {
  const { desired, current, nodes, config } = input;
  const nodeTargets = resolveNodeTargets(nodes, config);
  const diagnostics = new DiagnosticLog();
  const targets = new Map<string, TargetAccumulator>();
  const accumulatorFor = (resolution: TargetResolution, nodeName: string): TargetAccumulator => {
    let accumulator = targets.get(resolution.key);
    if (accumulator === undefined) {
      accumulator = new TargetAccumulator(resolution.key, resolution.target);
      targets.set(resolution.key, accumulator);
    }
    accumulator.nodeNames.add(nodeName);
    return accumulator;
  };

  const currentByKey = new Map<string, AzureAssignedIdentity>();
  for (const assigned of current) currentByKey.set(assignedIdentityKey(assigned), assigned);

  // Pass 1: which desired assignments count, on which target; record identity usage per target for §2.8.
  const usage = new IdentityUsage();
  const claimed = new Set<string>(); // current objects a desired assignment accounts for: never released
  const placed: Array<{
    readonly desired: DesiredAssignment;
    readonly key: string;
    readonly at: TargetResolution;
  }> = [];
  for (const assignment of desired) {
    const key = objectKey(assignment.namespace, assignment.name);
    if (claimed.has(key)) {
      diagnostics.duplicate(assignment, key);
      continue;
    }
    claimed.add(key);
    const at = nodeTargets.get(assignment.nodeName);
    if (at === undefined) {
      diagnostics.nodeNotFound(assignment.nodeName, key);
      continue;
    }
    if (at.kind === 'unmappable') {
      diagnostics.unmappable(assignment.nodeName, at.providerID, key, 'not assigned');
      continue;
    }
    usage.record(at.key, assignment.identity);
    placed.push({ desired: assignment, key, at });
  }

  const policy = new RemovalPolicy(config, usage);
  const builder = new AssignedIdentityObjectBuilder();

  // Pass 2: creates, updates and retries.
  for (const { desired: assignment, key, at } of placed) {
    const existing = currentByKey.get(key);
    const resourceId = userAssignedResourceId(assignment.identity);
    if (existing !== undefined && recordsSameAssignment(existing, assignment)) {
      if (countsAsAssigned(existing)) continue;
      if (statusOf(existing) === AssignedIdentityState.Created) {
        accumulatorFor(at, assignment.nodeName).addPending({ object: existing, resourceId });
        continue;
      }
      // `Unassigned` (a release that did not finish) or an unknown status: rewritten below as Created.
    }
    const accumulator = accumulatorFor(at, assignment.nodeName);
    if (existing === undefined) {
      const object = builder.create(assignment);
      accumulator.writes.push({ op: 'create', object });
      accumulator.addPending({ object, resourceId });
      continue;
    }
    const object = builder.update(existing, assignment);
    accumulator.writes.push({ op: 'update', object, previous: existing });
    accumulator.addPending({ object, resourceId });
    // The old version's identity may have to leave the target it was on (e.g. the pod moved to another VM).
    const previousNode = existing.spec.nodename ?? '';
    const previousAt = nodeTargets.get(previousNode);
    if (previousAt?.kind === 'target') {
      const removed = policy.resourceIdToRemove(existing, previousAt.key);
      if (removed !== undefined) accumulatorFor(previousAt, previousNode).remove.add(removed);
    }
  }

  // Pass 3: releases of everything no desired assignment accounts for.
  const releasesWithoutArm: AzureAssignedIdentity[] = [];
  for (const assigned of current) {
    const key = assignedIdentityKey(assigned);
    if (claimed.has(key)) continue;
    const nodeName = assigned.spec.nodename ?? '';
    const at = nodeTargets.get(nodeName);
    if (at === undefined) {
      // The node is gone (§2.7): nothing to call ARM on. Upstream behaviour, checklist row 36.
      releasesWithoutArm.push(assigned);
      continue;
    }
    if (at.kind === 'unmappable') {
      if (policy.candidateResourceId(assigned) === undefined) releasesWithoutArm.push(assigned);
      else diagnostics.unmappable(nodeName, at.providerID, key, 'release held: its identity may be on an unknown VM');
      continue;
    }
    const removesResourceId = policy.resourceIdToRemove(assigned, at.key);
    accumulatorFor(at, nodeName).release({ object: assigned, removesResourceId });
  }

  return {
    targets: [...targets.values()].sort((a, b) => compare(a.key, b.key)).map((a) => a.toPlan()),
    releasesWithoutArm,
    diagnostics: diagnostics.entries,
  };
}

type TargetResolution = Extract<NodeTargetResolution, { kind: 'target' }>;

class TargetAccumulator {
  readonly nodeNames = new Set<string>();
  readonly writes: AssignedIdentityWrite[] = [];
  readonly pending: PendingAssignment[] = [];
  readonly releases: PendingRelease[] = [];
  readonly add = new Set<string>();
  readonly remove = new Set<string>();

  constructor(
    readonly key: string,
    readonly target: ArmTarget,
  ) {}

  addPending(pending: PendingAssignment): void {
    this.pending.push(pending);
    if (pending.resourceId !== undefined) this.add.add(pending.resourceId);
  }

  release(release: PendingRelease): void {
    this.releases.push(release);
    if (release.removesResourceId !== undefined) this.remove.add(release.removesResourceId);
  }

  toPlan(): TargetPlan {
    const onSuccess: AssignmentOutcome[] = [];
    for (const { object } of this.pending) onSuccess.push({ action: 'mark-assigned', object });
    for (const { object } of this.releases) onSuccess.push({ action: 'release', object, markUnassigned: true });
    return {
      key: this.key,
      target: this.target,
      nodeNames: [...this.nodeNames].sort(compare),
      writes: this.writes,
      // Usage is checked against every desired assignment, so add and remove are disjoint already; filtering keeps
      // the documented invariant even for an update whose old and new versions name the same identity.
      delta: { add: [...this.add], remove: [...this.remove].filter((id) => !this.add.has(id)) },
      pending: this.pending,
      releases: this.releases,
      onSuccess,
    };
  }
}

class DiagnosticLog {
  readonly entries: PlanDiagnostic[] = [];
  readonly #unmappableNodes = new Set<string>();

  duplicate(assignment: DesiredAssignment, key: string): void {
    this.entries.push({
      code: 'duplicate_assignment',
      message: `AzureAssignedIdentity ${key} is desired twice; the first assignment is kept`,
      nodeName: assignment.nodeName,
      assignedIdentity: key,
    });
  }

  nodeNotFound(nodeName: string, key: string): void {
    this.entries.push({
      code: 'node_not_found',
      message: `node ${nodeName} not found: ${key} is not assigned this cycle`,
      nodeName,
      assignedIdentity: key,
    });
  }

  unmappable(nodeName: string, providerID: string, key: string, consequence: string): void {
    if (!this.#unmappableNodes.has(nodeName)) {
      this.#unmappableNodes.add(nodeName);
      this.entries.push({
        code: 'unmappable_provider_id',
        message: `node ${nodeName} has providerID ${JSON.stringify(providerID)}, which names no Azure VM or VMSS`,
        nodeName,
      });
    }
    this.entries.push({
      code: 'assignment_skipped',
      message: `${key} on node ${nodeName}: ${consequence}`,
      nodeName,
      assignedIdentity: key,
    });
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
