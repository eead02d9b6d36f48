import type { ArmTarget, AzureAssignedIdentity, AzureIdentity } from '@podid/crd-types';
import { AssignedIdentityState, IdentityType, identityTypeOf } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import type { ClusterNode, VmLocation } from './arm-target-resolution.js';
import { resolveNodeTarget } from './arm-target-resolution.js';
import {
  countsAsAssigned,
  recordsSameAssignment,
  statusOf,
  userAssignedResourceId,
} from './assigned-identity-facts.js';
import { AssignedIdentityObjectBuilder } from './assigned-identity-objects.js';
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
import { RemovalPolicy, TargetIdentityUsage } from './removal-policy.js';

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
  const diagnostics = new DiagnosticLog();
  const places = placeNodes(nodes, config);
  const policy = new RemovalPolicy(config);
  const builder = new AssignedIdentityObjectBuilder();
  const resourceIds = new ResourceIdCache();

  // Position of each current object by namespace and name. Nested maps: no "namespace/name" strings to build and
  // hash per object. Positions index `claimed`, so marking an object as accounted for hashes nothing.
  const currentPosition = new NamespacedIndex<number>();
  for (let i = 0; i < current.length; i++) {
    const assigned = current[i]!;
    currentPosition.set(assigned.metadata.namespace, assigned.metadata.name, i);
  }
  const claimed = new Uint8Array(current.length); // 1 = a desired assignment accounts for it: never released
  const desiredWithoutObject = new NamespacedIndex<true>(); // detects a desired name given twice
  const replaced: AzureAssignedIdentity[] = [];

  // Desired assignments: creates, updates, retries; record which identities each target must keep (§2.8).
  for (const assignment of desired) {
    const { namespace, name, nodeName } = assignment;
    const position = currentPosition.get(namespace, name);
    if (position === undefined ? desiredWithoutObject.get(namespace, name) : claimed[position] === 1) {
      diagnostics.duplicate(assignment);
      continue;
    }
    let existing: AzureAssignedIdentity | undefined;
    if (position === undefined) desiredWithoutObject.set(namespace, name, true);
    else {
      claimed[position] = 1;
      existing = current[position];
    }
    const place = places.get(nodeName);
    if (place === undefined) {
      diagnostics.nodeNotFound(assignment);
      continue;
    }
    if (place.kind === 'unmappable') {
      diagnostics.unmappable(nodeName, place.providerID, `${namespace}/${name}`, 'not assigned', {
        namespace: assignment.podNamespace,
        name: assignment.podName,
      });
      continue;
    }
    const resourceId = resourceIds.of(assignment.identity);
    if (resourceId === MISSING) {
      // The matcher drops these (§2.13); a caller that does not gets a diagnostic rather than an unusable object.
      diagnostics.missingResourceId(assignment);
      continue;
    }
    // A federated identity needs nothing from ARM: its objects go in their own bucket, never behind this target's update.
    const work = isFederated(assignment.identity) ? place.work.federatedWork() : place.work;
    work.usage.record(assignment.identity);
    if (existing !== undefined && recordsSameAssignment(existing, assignment)) {
      if (countsAsAssigned(existing)) {
        if (resourceId !== undefined) work.confirm(resourceId);
        continue;
      }
      if (statusOf(existing) === AssignedIdentityState.Created) {
        work.addPending(nodeName, { object: existing, resourceId });
        continue;
      }
      // `Unassigned` (a release that did not finish) or an unknown status: rewritten below as Created.
    }
    if (existing === undefined) {
      const object = builder.create(assignment);
      work.writes.push({ op: 'create', object });
      work.addPending(nodeName, { object, resourceId });
    } else {
      const object = builder.update(existing, assignment);
      work.writes.push({ op: 'update', object, previous: existing });
      work.addPending(nodeName, { object, resourceId });
      replaced.push(existing);
    }
  }

  // An updated object's old identity may have to leave the target it was on (e.g. the pod moved to another VM).
  // Checked after all desired assignments are recorded, against the complete usage of that target.
  for (const previous of replaced) {
    const previousNode = previous.spec.nodename ?? '';
    const place = places.get(previousNode);
    if (place?.kind !== 'target') continue;
    const removed = policy.resourceIdToRemove(previous, place.work.usage);
    if (removed !== undefined) place.work.removeOnly(previousNode, removed);
  }

  // Releases of everything no desired assignment accounts for.
  const releasesWithoutArm: AzureAssignedIdentity[] = [];
  for (let i = 0; i < current.length; i++) {
    const assigned = current[i];
    if (assigned === undefined || claimed[i] === 1) continue;
    const nodeName = assigned.spec.nodename ?? '';
    const place = places.get(nodeName);
    if (place === undefined) {
      // The node is gone (§2.7): nothing to call ARM on. Upstream behaviour, checklist row 36.
      releasesWithoutArm.push(assigned);
      continue;
    }
    if (place.kind === 'unmappable') {
      if (policy.candidateResourceId(assigned) === undefined) releasesWithoutArm.push(assigned);
      else
        diagnostics.unmappable(
          nodeName,
          place.providerID,
          `${assigned.metadata.namespace}/${assigned.metadata.name}`,
          'release held: its identity may be on an unknown VM',
          assigned.spec.pod ? { namespace: assigned.spec.podNamespace ?? '', name: assigned.spec.pod } : undefined,
        );
      continue;
    }
    if (isFederated(assigned.spec.azureIdentityRef)) {
      place.work.federatedWork().release(nodeName, { object: assigned, removesResourceId: undefined });
      continue;
    }
    const removesResourceId = policy.resourceIdToRemove(assigned, place.work.usage);
    place.work.release(nodeName, { object: assigned, removesResourceId });
  }

  const targets: TargetPlan[] = [];
  for (const work of new Set([...places.values()].flatMap((p) => (p.kind === 'target' ? [p.work] : [])))) {
    if (work.hasWork()) targets.push(work.toPlan());
    const federated = work.federatedWorkIfAny();
    if (federated?.hasWork()) targets.push(federated.toPlan());
  }
  targets.sort((a, b) => compare(a.key, b.key));
  return { targets, releasesWithoutArm, diagnostics: diagnostics.entries };
}

type NodePlace =
  | { readonly kind: 'target'; readonly work: TargetWork }
  | { readonly kind: 'unmappable'; readonly providerID: string };

/** Node name → the work bucket of its VM/VMSS; every node of a scale set shares one bucket (§2.7 consolidation). */
function placeNodes(nodes: readonly ClusterNode[], vmLocation: VmLocation): Map<string, NodePlace> {
  const workByKey = new Map<string, TargetWork>();
  const places = new Map<string, NodePlace>();
  for (const node of nodes) {
    const resolution = resolveNodeTarget(node, vmLocation);
    if (resolution.kind === 'unmappable') {
      places.set(node.name, resolution);
      continue;
    }
    let work = workByKey.get(resolution.key);
    if (work === undefined) {
      work = new TargetWork(resolution.key, resolution.target);
      workByKey.set(resolution.key, work);
    }
    places.set(node.name, { kind: 'target', work });
  }
  return places;
}

/**
 * Type 3 (podid's federated identity): NMI exchanges the pod's service-account token, so nothing is assigned to a
 * VM/VMSS and the AzureAssignedIdentity can be `Assigned` as soon as it is written.
 */
function isFederated(identity: AzureIdentity | undefined): boolean {
  return identity !== undefined && identityTypeOf(identity) === IdentityType.FederatedIdentity;
}

/** Key suffix of a target's federated bucket: a plan of its own with an empty ARM delta. */
export const FEDERATED_PLAN_KEY_SUFFIX = '#federated';

/** Lower-cased resourceID per AzureIdentity object: the matcher shares one object across all pods it binds. */
class ResourceIdCache {
  readonly #byIdentity = new Map<AzureIdentity, string | undefined | typeof MISSING>();

  /** Lower-cased resourceID, undefined for a service principal, {@link MISSING} for type 0 without one. */
  of(identity: AzureIdentity): string | undefined | typeof MISSING {
    if (this.#byIdentity.has(identity)) return this.#byIdentity.get(identity);
    let resourceId: string | undefined | typeof MISSING = userAssignedResourceId(identity);
    if (resourceId === undefined && identityTypeOf(identity) === IdentityType.UserAssignedMSI) resourceId = MISSING;
    this.#byIdentity.set(identity, resourceId);
    return resourceId;
  }
}

const MISSING = Symbol('missing resourceID');

class NamespacedIndex<T> {
  readonly #byNamespace = new Map<string, Map<string, T>>();

  get(namespace: string, name: string): T | undefined {
    return this.#byNamespace.get(namespace)?.get(name);
  }

  set(namespace: string, name: string, value: T): void {
    let byName = this.#byNamespace.get(namespace);
    if (byName === undefined) {
      byName = new Map();
      this.#byNamespace.set(namespace, byName);
    }
    byName.set(name, value);
  }
}

/** Everything one VM/VMSS has to do in this cycle, gathered while walking desired and current objects. */
class TargetWork {
  readonly usage = new TargetIdentityUsage();
  readonly #nodeNames = new Set<string>();
  readonly writes: AssignedIdentityWrite[] = [];
  readonly #pending: PendingAssignment[] = [];
  readonly #releases: PendingRelease[] = [];
  readonly #add = new Set<string>();
  readonly #remove = new Set<string>();
  readonly #confirmed = new Set<string>();
  #federated: TargetWork | undefined;

  constructor(
    readonly key: string,
    readonly target: ArmTarget,
  ) {}

  /**
   * The same target's bucket for federated identities: its plan has no ARM delta, so the executor writes its objects
   * straight as `Assigned` while this target's own ARM update (if any) is still running.
   */
  federatedWork(): TargetWork {
    this.#federated ??= new TargetWork(`${this.key}${FEDERATED_PLAN_KEY_SUFFIX}`, this.target);
    return this.#federated;
  }

  federatedWorkIfAny(): TargetWork | undefined {
    return this.#federated;
  }

  addPending(nodeName: string, pending: PendingAssignment): void {
    this.#nodeNames.add(nodeName);
    this.#pending.push(pending);
    if (pending.resourceId !== undefined) this.#add.add(pending.resourceId);
  }

  /** An identity an `Assigned` object on this target still uses: an earlier cycle saw it there. Not work by itself. */
  confirm(resourceId: string): void {
    this.#confirmed.add(resourceId);
  }

  release(nodeName: string, release: PendingRelease): void {
    this.#nodeNames.add(nodeName);
    this.#releases.push(release);
    if (release.removesResourceId !== undefined) this.#remove.add(release.removesResourceId);
  }

  /** A removal no object on this target tracks (the old version of an object that moved elsewhere). */
  removeOnly(nodeName: string, resourceId: string): void {
    this.#nodeNames.add(nodeName);
    this.#remove.add(resourceId);
  }

  hasWork(): boolean {
    return this.#nodeNames.size > 0;
  }

  toPlan(): TargetPlan {
    const onSuccess: AssignmentOutcome[] = [];
    for (const { object } of this.#pending) onSuccess.push({ action: 'mark-assigned', object });
    for (const { object } of this.#releases) onSuccess.push({ action: 'release', object, markUnassigned: true });
    return {
      key: this.key,
      target: this.target,
      nodeNames: [...this.#nodeNames].sort(compare),
      writes: this.writes,
      // Usage is checked against every desired assignment, so add and remove are disjoint already; filtering keeps
      // the documented invariant even for an update whose old and new versions name the same identity.
      delta: { add: [...this.#add], remove: [...this.#remove].filter((id) => !this.#add.has(id)) },
      pending: this.#pending,
      releases: this.#releases,
      onSuccess,
      confirmedResourceIds: [...this.#confirmed].sort(compare),
    };
  }
}

class DiagnosticLog {
  readonly entries: PlanDiagnostic[] = [];
  readonly #unmappableNodes = new Set<string>();

  duplicate(assignment: DesiredAssignment): void {
    const key = `${assignment.namespace}/${assignment.name}`;
    this.entries.push({
      code: 'duplicate_assignment',
      message: `AzureAssignedIdentity ${key} is desired twice; the first assignment is kept`,
      nodeName: assignment.nodeName,
      assignedIdentity: key,
      pod: { namespace: assignment.podNamespace, name: assignment.podName },
    });
  }

  missingResourceId(assignment: DesiredAssignment): void {
    const key = `${assignment.namespace}/${assignment.name}`;
    this.entries.push({
      code: 'missing_resource_id',
      message: `${key}: user-assigned identity ${assignment.identity.metadata.namespace}/${assignment.identity.metadata.name} has no resourceID; not assigned`,
      nodeName: assignment.nodeName,
      assignedIdentity: key,
      pod: { namespace: assignment.podNamespace, name: assignment.podName },
    });
  }

  nodeNotFound(assignment: DesiredAssignment): void {
    const { nodeName } = assignment;
    const key = `${assignment.namespace}/${assignment.name}`;
    this.entries.push({
      code: 'node_not_found',
      message: `node ${nodeName} not found: ${key} is not assigned this cycle`,
      nodeName,
      assignedIdentity: key,
      pod: { namespace: assignment.podNamespace, name: assignment.podName },
    });
  }

  unmappable(
    nodeName: string,
    providerID: string,
    key: string,
    consequence: string,
    pod: { namespace: string; name: string } | undefined,
  ): void {
    if (!this.#unmappableNodes.has(nodeName)) {
      this.#unmappableNodes.add(nodeName);
      this.entries.push({
        code: 'unmappable_provider_id',
        message: `node ${nodeName} has providerID ${JSON.stringify(providerID)}, which names no Azure VM or VMSS`,
        nodeName,
        providerID,
      });
    }
    this.entries.push({
      code: 'assignment_skipped',
      message: `${key} on node ${nodeName}: ${consequence}`,
      nodeName,
      assignedIdentity: key,
      ...(pod === undefined ? {} : { pod }),
    });
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
