import {
  type AzureAssignedIdentity,
  type AzureIdentity,
  AssignedIdentityState,
  identityTypeOf,
  isNamespacedIdentity,
  type Node,
  type Pod,
  POD_LABEL_KEY,
} from '@podid/crd-types';
import {
  identityUsableFromNamespace,
  isExcepted,
  matchAssignments,
  selectIdentity,
  type SkipReason,
} from '@podid/matcher';
import type { ClusterEvent, IdentityObjects, LeaseReading } from './cluster-objects.js';
import type {
  AssignedIdentityView,
  BindingOutcome,
  EventView,
  NmiDefaultPick,
  PodExplanation,
  Reason,
  Ref,
} from './explanation-types.js';
import { IDENTITY_INVALID_CODES, schemaValidationError } from './identity-validation.js';
import { nearestSelectors } from './nearest-selectors.js';
import { nodeArmTarget } from './node-target.js';
import { leaseView } from './lease-view.js';
import { creationMs, secondsSince } from './object-age.js';

/** MIC's Events shown per assignment stuck in `Created`. */
const MAX_EVENTS = 5;

export interface ExplainInput {
  readonly pod: Pod;
  readonly objects: IdentityObjects;
  /** Nodes by name: the pod's node and those of its assigned identities (missing entry = node not found). */
  readonly nodes: ReadonlyMap<string, Node>;
  /** MIC's Events about the pod, its bindings and its assigned identities (any order). */
  readonly events: readonly ClusterEvent[];
  /** MIC's Lease, when it was read. */
  readonly lease: LeaseReading | undefined;
  /** MIC's `--forceNamespaced` (not readable from the cluster, so given on the command line). */
  readonly namespaced: boolean;
  readonly nowMs: number;
}

const refOf = (o: { metadata: { namespace: string; name: string } }): Ref => ({
  namespace: o.metadata.namespace,
  name: o.metadata.name,
});
const byRef = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) =>
  a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);

/** Why the namespaced rules applied to a `cross_namespace` pair. */
function namespacedBy(identity: AzureIdentity | undefined, namespaced: boolean): 'flag' | 'annotation' | null {
  if (namespaced) return 'flag';
  return identity !== undefined && isNamespacedIdentity(identity) ? 'annotation' : null;
}

/**
 * One outcome per binding whose selector equals the label, from the matcher's result for this one pod: matched,
 * the matcher's pair reason, or the pod-level reason that stopped matching before bindings were considered.
 */
function bindingOutcomes(pod: Pod, label: string, input: ExplainInput): BindingOutcome[] {
  const { bindings, identities, invalidObjects } = input.objects;
  const result = matchAssignments([pod], bindings, identities, { namespaced: input.namespaced });
  const podSkip = result.skipped.find((s): s is Extract<SkipReason, { subject: 'pod' }> => s.subject === 'pod');
  const identityByKey = new Map(identities.map((i) => [`${i.metadata.namespace}/${i.metadata.name}`, i]));
  const outcomes: BindingOutcome[] = [];
  for (const binding of bindings.filter((b) => b.spec.selector === label)) {
    const bindingRef = refOf(binding);
    const identityRef = { namespace: bindingRef.namespace, name: binding.spec.azureIdentity ?? '' };
    const identity = identityByKey.get(`${identityRef.namespace}/${identityRef.name}`);
    const base = { binding: bindingRef, selector: label, identity: identityRef };
    const assigned = result.assignments.find((a) => byRef(refOf(a.binding), bindingRef) === 0);
    if (assigned !== undefined) {
      const message = `gives identity ${identityRef.namespace}/${identityRef.name} (AzureAssignedIdentity ${assigned.namespace}/${assigned.name})`;
      outcomes.push({ ...base, matched: true, code: 'matched', message, namespacedBy: null });
      continue;
    }
    const pair = result.skipped.find(
      (s): s is Extract<SkipReason, { subject: 'pod_binding' }> =>
        s.subject === 'pod_binding' && byRef(s.binding, bindingRef) === 0,
    );
    if (pair === undefined) {
      const reason = podSkip ?? { code: 'pod_not_matched', message: 'the matcher gave no reason' };
      outcomes.push({ ...base, matched: false, code: reason.code, message: reason.message, namespacedBy: null });
      continue;
    }
    let { code, message }: { code: string; message: string } = pair;
    if (code === 'identity_not_found') {
      const validation = schemaValidationError(identityRef, invalidObjects);
      if (validation !== undefined) {
        code = 'identity_invalid';
        message = `AzureIdentity ${identityRef.namespace}/${identityRef.name} fails validation, so MIC ignores it: ${validation}`;
      } else {
        const elsewhere = identities
          .filter((i) => i.metadata.name === identityRef.name && i.metadata.namespace !== identityRef.namespace)
          .map((i) => i.metadata.namespace)
          .sort();
        if (elsewhere.length > 0) {
          message += ` (an AzureIdentity of that name exists in namespace ${elsewhere.join(', ')}; a binding names an identity in its own namespace)`;
        }
      }
    }
    const by = code === 'cross_namespace' ? namespacedBy(identity, input.namespaced) : null;
    if (by !== null) {
      message +=
        by === 'flag'
          ? ' (namespaced mode: --namespaced, as MIC --forceNamespaced)'
          : ` (the identity is annotated aadpodidentity.k8s.io/Behavior: namespaced)`;
    }
    outcomes.push({ ...base, matched: false, code, message, namespacedBy: by });
  }
  return outcomes.sort((a, b) => byRef(a.binding, b.binding));
}

function podReasons(pod: Pod, input: ExplainInput): Reason[] {
  const reasons: Reason[] = [];
  for (const exception of [...input.objects.exceptions].sort((a, b) => byRef(refOf(a), refOf(b)))) {
    if (!isExcepted(pod, [exception])) continue;
    reasons.push({
      code: 'pod_exception',
      message: `AzurePodIdentityException ${exception.metadata.namespace}/${exception.metadata.name} matches the pod's labels: NMI passes its token requests to IMDS unchecked (the node's identities), whatever its bindings say`,
    });
  }
  const result = matchAssignments([pod], input.objects.bindings, input.objects.identities, {
    namespaced: input.namespaced,
  });
  for (const skip of result.skipped) {
    if (skip.subject === 'pod') reasons.push({ code: skip.code, message: skip.message });
  }
  return reasons;
}

function eventView(event: ClusterEvent, nowMs: number): EventView {
  return {
    type: event.type,
    reason: event.reason,
    message: event.message,
    count: event.count,
    involvedObject: event.involvedObject,
    lastSeenSecondsAgo: secondsSince(nowMs, event.lastSeenMs),
  };
}

function assignedView(object: AzureAssignedIdentity, input: ExplainInput): AssignedIdentityView {
  const identity = object.spec.azureIdentityRef;
  const binding = object.spec.azureBindingRef;
  const state = object.status?.status ?? '';
  const nodeName = object.spec.nodename ?? '';
  const bindingRef = { namespace: binding?.metadata.namespace ?? '', name: binding?.metadata.name ?? '' };
  let events: EventView[] | null = null;
  if (state === AssignedIdentityState.Created) {
    const podKey = `${object.spec.podNamespace ?? ''}/${object.spec.pod ?? ''}`;
    const about = new Set([
      `AzureAssignedIdentity/${object.metadata.namespace}/${object.metadata.name}`,
      `Pod/${podKey}`,
    ]);
    const bindingKey = `AzureIdentityBinding/${bindingRef.namespace}/${bindingRef.name}`;
    // A binding serves many pods; MIC's messages on it name the pod (`for pod ns/name`) or this object.
    const concernsThis = (e: ClusterEvent) => {
      const key = `${e.involvedObject.kind}/${e.involvedObject.namespace}/${e.involvedObject.name}`;
      if (about.has(key)) return true;
      return key === bindingKey && (e.message.includes(`pod ${podKey},`) || e.message.includes(object.metadata.name));
    };
    events = input.events
      .filter(concernsThis)
      .sort((a, b) => (b.lastSeenMs ?? 0) - (a.lastSeenMs ?? 0))
      .slice(0, MAX_EVENTS)
      .map((e) => eventView(e, input.nowMs));
  }
  return {
    namespace: object.metadata.namespace,
    name: object.metadata.name,
    identity: {
      namespace: identity?.metadata.namespace ?? '',
      name: identity?.metadata.name ?? '',
      clientID: identity?.spec.clientID ?? '',
      type: identity === undefined ? 0 : identityTypeOf(identity),
    },
    binding: bindingRef,
    state,
    ageSeconds: secondsSince(input.nowMs, creationMs(object)),
    nodeName,
    armTarget: nodeArmTarget(nodeName, input.nodes.get(nodeName)),
    events,
  };
}

/**
 * NMI's choice without client_id/msi_res_id (§3.7): among the pod's assignments MIC has finished (legacy objects
 * without a state win, as in NMI, else `Assigned`), those usable from the pod's namespace, the first.
 */
function nmiDefault(
  pod: Pod,
  assigned: readonly AzureAssignedIdentity[],
  input: ExplainInput,
  excepted: boolean,
): NmiDefaultPick {
  const withIdentity = assigned.filter((a) => a.spec.azureIdentityRef !== undefined);
  const legacy = withIdentity.filter((a) => (a.status?.status ?? '') === '');
  const ready =
    legacy.length > 0 ? legacy : withIdentity.filter((a) => a.status?.status === AssignedIdentityState.Assigned);
  const usable = ready
    .map((a) => a.spec.azureIdentityRef as AzureIdentity)
    .filter((identity) =>
      identityUsableFromNamespace(identity, pod.metadata.namespace, { namespaced: input.namespaced }),
    );
  const view = (i: AzureIdentity) => ({ ...refOf(i), clientID: i.spec.clientID ?? '' });
  const selected = selectIdentity(usable, {});
  const identity = selected.ok ? view(selected.identity) : null;
  const arbitrary = usable.length > 1;
  let note: string;
  if (excepted)
    note = 'the pod is an exception: NMI forwards its requests to IMDS, which answers with the node identity';
  else if (identity === null) {
    note =
      withIdentity.length > 0
        ? 'no Assigned identity yet: NMI waits for MIC, then answers 404 (in CREATED state failed after N attempts)'
        : 'no identity: NMI answers 404 to every token request from this pod';
  } else if (arbitrary) {
    note = `${usable.length} identities are Assigned: without client_id NMI takes whichever its cache lists first, which is arbitrary; pass client_id (or msi_res_id) to choose`;
  } else note = 'the only Assigned identity';
  return { identity, candidates: usable.map(view), arbitrary, note };
}

function summaryOf(explanation: Omit<PodExplanation, 'verdict'>): { hasAssignedIdentity: boolean; summary: string } {
  const key = `${explanation.pod.namespace}/${explanation.pod.name}`;
  const assigned = explanation.assignedIdentities.filter((a) => a.state === AssignedIdentityState.Assigned);
  if (assigned.length > 0) {
    const names = assigned.map((a) => `${a.identity.namespace}/${a.identity.name}`).join(', ');
    return {
      hasAssignedIdentity: true,
      summary: `pod ${key} has ${assigned.length === 1 ? 'identity' : `${assigned.length} identities:`} ${names} (Assigned)`,
    };
  }
  const created = explanation.assignedIdentities.find((a) => a.state === AssignedIdentityState.Created);
  const exception = explanation.podReasons.find((r) => r.code === 'pod_exception');
  const podReason = explanation.podReasons.find((r) => r.code !== 'pod_exception');
  const bindingReason = explanation.bindings.find((b) => !b.matched);
  let summary: string;
  if (podReason !== undefined) summary = podReason.message;
  else if (created !== undefined) {
    summary = `identity ${created.identity.namespace}/${created.identity.name} is still Created: MIC has not confirmed it on the node's VM/VMSS`;
  } else if (explanation.bindings.some((b) => b.matched)) {
    const leader = explanation.micLeader;
    const why = leader === null || leader.held ? '' : ': no MIC leader holds the Lease (is MIC running?)';
    summary = `pod ${key} matches, but MIC has not created its AzureAssignedIdentity yet${why}`;
  } else if (bindingReason !== undefined) {
    summary = IDENTITY_INVALID_CODES.has(bindingReason.code)
      ? `identity ${bindingReason.identity.namespace}/${bindingReason.identity.name} is invalid: ${bindingReason.message}`
      : bindingReason.message;
  } else summary = `pod ${key} has no identity`;
  if (exception !== undefined) summary = `${summary}; ${exception.message}`;
  return { hasAssignedIdentity: false, summary };
}

/** Everything about one pod's identities, from the same matcher MIC runs. Pure. */
export function explainPod(input: ExplainInput): PodExplanation {
  const { pod } = input;
  const label = pod.metadata.labels?.[POD_LABEL_KEY];
  const reasons = podReasons(pod, input);
  const assigned = input.objects.assignedIdentities
    .filter((a) => a.spec.pod === pod.metadata.name && a.spec.podNamespace === pod.metadata.namespace)
    .sort((a, b) => byRef(refOf(a), refOf(b)));
  const assignedIdentities = assigned.map((a) => assignedView(a, input));
  const excepted = reasons.some((r) => r.code === 'pod_exception');
  const hasCreated = assignedIdentities.some((a) => a.state === AssignedIdentityState.Created);
  const outcomes = label ? bindingOutcomes(pod, label, input) : [];
  // A binding matches but MIC has written nothing for it: whether a MIC leads is the first question.
  const awaitingMic = outcomes.some((o) => o.matched) && assignedIdentities.length === 0;
  const explanation: Omit<PodExplanation, 'verdict'> = {
    kind: 'PodIdentityExplanation',
    schemaVersion: 1,
    pod: {
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      label: label ?? null,
      nodeName: pod.spec?.nodeName || null,
      phase: pod.status?.phase || null,
    },
    namespacedMode: input.namespaced,
    podReasons: reasons,
    bindings: outcomes,
    nearestSelectors: label ? nearestSelectors(label, input.objects.bindings) : [],
    assignedIdentities,
    micLeader: (hasCreated || awaitingMic) && input.lease !== undefined ? leaseView(input.lease, input.nowMs) : null,
    nmiDefault: nmiDefault(pod, assigned, input, excepted),
  };
  const verdict = summaryOf(explanation);
  return {
    kind: explanation.kind,
    schemaVersion: explanation.schemaVersion,
    pod: explanation.pod,
    namespacedMode: explanation.namespacedMode,
    verdict,
    podReasons: explanation.podReasons,
    bindings: explanation.bindings,
    nearestSelectors: explanation.nearestSelectors,
    assignedIdentities: explanation.assignedIdentities,
    micLeader: explanation.micLeader,
    nmiDefault: explanation.nmiDefault,
  };
}
