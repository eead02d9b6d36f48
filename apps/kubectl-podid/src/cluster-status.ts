import { AssignedIdentityState, type Node, type Pod, POD_LABEL_KEY } from '@podid/crd-types';
import { matchAssignments } from '@podid/matcher';
import type { IdentityObjects, LeaseReading, NmiReading } from './cluster-objects.js';
import { leaseView } from './lease-view.js';
import { creationMs } from './object-age.js';
import type { Reason, Ref } from './explanation-types.js';
import type { ClusterStatus, NmiNodeView, NmiStatusView, StuckAssignment, UnmatchedPod } from './status-types.js';

export interface StatusInput {
  /** Pods carrying the `aadpodidbinding` label, every namespace (matching needs them all). */
  readonly labelledPods: readonly Pod[];
  readonly objects: IdentityObjects;
  readonly nodes: readonly Node[];
  readonly lease: LeaseReading;
  readonly nmi: NmiReading;
  readonly namespaced: boolean;
  /** `-n`; undefined = every namespace. */
  readonly namespace: string | undefined;
  readonly stuckAfterMs: number;
  readonly nowMs: number;
}

const refOf = (o: { metadata: { namespace: string; name: string } }): Ref => ({
  namespace: o.metadata.namespace,
  name: o.metadata.name,
});
const byRef = (a: Ref, b: Ref) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);

function nmiStatus(nmi: NmiReading, nodes: readonly Node[]): NmiStatusView {
  if (!nmi.readable) return { readable: false, error: nmi.error };
  const byNode = new Map<string, NmiNodeView['pods'][number][]>();
  for (const pod of nmi.pods) {
    const list = byNode.get(pod.nodeName) ?? [];
    list.push({ namespace: pod.namespace, name: pod.name, ready: pod.ready, phase: pod.phase });
    byNode.set(pod.nodeName, list);
  }
  const nodeViews: NmiNodeView[] = [...byNode]
    .map(([nodeName, pods]) => ({
      nodeName,
      pods: pods.sort(byRef),
      ready: pods.some((p) => p.ready),
    }))
    .sort((a, b) => a.nodeName.localeCompare(b.nodeName));
  return {
    readable: true,
    daemonSets: nmi.daemonSets
      .map((d) => ({ namespace: d.namespace, name: d.name, desired: d.desired ?? null, ready: d.ready ?? null }))
      .sort(byRef),
    nodes: nodeViews,
    nodesWithoutNmi: nodes
      .map((n) => n.metadata.name)
      .filter((name) => !byNode.has(name))
      .sort(),
  };
}

/** The cluster-wide picture `kubectl podid status` prints. Pure. */
export function clusterStatus(input: StatusInput): ClusterStatus {
  const { identities, bindings, assignedIdentities, exceptions, invalidObjects } = input.objects;
  const inScope = (namespace: string | undefined) => input.namespace === undefined || namespace === input.namespace;

  const result = matchAssignments(input.labelledPods, bindings, identities, { namespaced: input.namespaced });
  const assignedPods = new Set(result.assignments.map((a) => `${a.podNamespace}/${a.podName}`));
  const reasonsByPod = new Map<string, Reason[]>();
  for (const skip of result.skipped) {
    if (skip.subject === 'binding') continue;
    const key = `${skip.pod.namespace}/${skip.pod.name}`;
    const list = reasonsByPod.get(key) ?? [];
    list.push({ code: skip.code, message: skip.message });
    reasonsByPod.set(key, list);
  }
  const unmatchedPods: UnmatchedPod[] = input.labelledPods
    .filter((pod) => inScope(pod.metadata.namespace))
    .filter((pod) => !assignedPods.has(`${pod.metadata.namespace}/${pod.metadata.name}`))
    .map((pod) => ({
      ...refOf(pod),
      label: pod.metadata.labels?.[POD_LABEL_KEY] ?? '',
      reasons: reasonsByPod.get(`${pod.metadata.namespace}/${pod.metadata.name}`) ?? [],
    }))
    .sort(byRef);

  const boundIdentities = new Set(bindings.map((b) => `${b.metadata.namespace}/${b.spec.azureIdentity ?? ''}`));
  const identityKeys = new Set(identities.map((i) => `${i.metadata.namespace}/${i.metadata.name}`));
  const scopedIdentities = identities.filter((i) => inScope(i.metadata.namespace));
  const scopedBindings = bindings.filter((b) => inScope(b.metadata.namespace));
  const scopedAssigned = assignedIdentities.filter((a) => inScope(a.spec.podNamespace));

  const states = { total: scopedAssigned.length, Created: 0, Assigned: 0, Unassigned: 0, other: 0 };
  const stuckAssignments: StuckAssignment[] = [];
  for (const object of scopedAssigned) {
    const state = object.status?.status ?? '';
    if (state === AssignedIdentityState.Created) states.Created++;
    else if (state === AssignedIdentityState.Assigned) states.Assigned++;
    else if (state === AssignedIdentityState.Unassigned) states.Unassigned++;
    else states.other++;
    const created = creationMs(object);
    if (state !== AssignedIdentityState.Created || created === undefined) continue;
    const ageMs = input.nowMs - created;
    if (ageMs < input.stuckAfterMs) continue;
    stuckAssignments.push({
      ...refOf(object),
      pod: { namespace: object.spec.podNamespace ?? '', name: object.spec.pod ?? '' },
      identity: {
        namespace: object.spec.azureIdentityRef?.metadata.namespace ?? '',
        name: object.spec.azureIdentityRef?.metadata.name ?? '',
      },
      nodeName: object.spec.nodename ?? '',
      ageSeconds: Math.floor(ageMs / 1000),
    });
  }
  stuckAssignments.sort((a, b) => b.ageSeconds - a.ageSeconds || byRef(a, b));

  return {
    kind: 'PodIdentityStatus',
    schemaVersion: 1,
    namespace: input.namespace ?? null,
    namespacedMode: input.namespaced,
    counts: {
      identities: scopedIdentities.length,
      bindings: scopedBindings.length,
      exceptions: exceptions.filter((e) => inScope(e.metadata.namespace)).length,
      labelledPods: input.labelledPods.filter((p) => inScope(p.metadata.namespace)).length,
      assignedIdentities: states,
    },
    identitiesWithoutBinding: scopedIdentities
      .filter((i) => !boundIdentities.has(`${i.metadata.namespace}/${i.metadata.name}`))
      .map(refOf)
      .sort(byRef),
    bindingsWithoutIdentity: scopedBindings
      .filter((b) => !identityKeys.has(`${b.metadata.namespace}/${b.spec.azureIdentity ?? ''}`))
      .map((b) => ({ ...refOf(b), identity: b.spec.azureIdentity ?? '' }))
      .sort(byRef),
    unmatchedPods,
    stuckAfterSeconds: Math.floor(input.stuckAfterMs / 1000),
    stuckAssignments,
    micLeader: leaseView(input.lease, input.nowMs),
    nmi: nmiStatus(input.nmi, input.nodes),
    invalidObjects: invalidObjects
      .filter((r) => inScope(r.namespace))
      .map((r) => ({ kind: r.kind, namespace: r.namespace ?? '', name: r.name ?? '', error: r.error.message }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || byRef(a, b)),
  };
}
