import {
  type AzureIdentity,
  type AzureIdentityBinding,
  type IdentityValidationCode,
  invalidResourceIdMessage,
  isNamespacedIdentity,
  type Pod,
  POD_LABEL_KEY,
  validateAzureIdentity,
} from '@podid/crd-types';
import { assignedIdentityName } from './assigned-identity-name.js';
import { objectKey, sortObjects } from './object-order.js';
import { podEligibility } from './pod-eligibility.js';
import type {
  DesiredAssignment,
  MatchOptions,
  MatchResult,
  ObjectRef,
  PodBindingSkipCode,
  SkipReason,
} from './types.js';

/** Upstream kept assigned identities in `default` unless namespaced (§1.4). */
const DEFAULT_ASSIGNMENT_NAMESPACE = 'default';
const NAMESPACED_MODE_DOCS = 'https://azure.github.io/aad-pod-identity/docs/configure/match_pods_in_namespace/';

function refOf(object: { readonly metadata: { readonly namespace: string; readonly name: string } }): ObjectRef {
  return { namespace: object.metadata.namespace, name: object.metadata.name };
}

/** Identities by namespace/name; with duplicates in the input the first in sorted order wins. */
function indexIdentities(identities: readonly AzureIdentity[]): Map<string, AzureIdentity> {
  const byKey = new Map<string, AzureIdentity>();
  for (const identity of sortObjects(identities, (i) => JSON.stringify(i))) {
    const key = objectKey(identity.metadata.namespace, identity.metadata.name);
    if (!byKey.has(key)) byKey.set(key, identity);
  }
  return byKey;
}

/**
 * One binding with everything about a pod/binding pair that does not depend on the pod, worked out once per call
 * instead of once per pod (identity lookup, namespaced mode, the resource ID check).
 */
interface ResolvedBinding {
  readonly binding: AzureIdentityBinding;
  /** `namespace/name` of the binding, for messages. */
  readonly bindingKey: string;
  /** `spec.azureIdentity`; the identity is always looked up in the binding's own namespace (§1.3). */
  readonly identityName: string;
  /** Undefined when no such identity exists. */
  readonly identity: AzureIdentity | undefined;
  /** Namespaced mode is on or the identity is annotated namespaced. */
  readonly namespaced: boolean;
  /** Why the identity cannot be used (`validateAzureIdentity`), when it cannot. */
  readonly invalid:
    | { readonly code: PodBindingSkipCode; readonly validation: IdentityValidationCode; readonly message: string }
    | undefined;
}

/** Resource ID problems keep their §2.13 skip code; every other invalid spec is `invalid_identity`. */
const RESOURCE_ID_PROBLEMS: ReadonlySet<IdentityValidationCode> = new Set([
  'identity_missing_resource_id',
  'identity_invalid_resource_id',
]);

function resolveBinding(
  binding: AzureIdentityBinding,
  identitiesByKey: ReadonlyMap<string, AzureIdentity>,
  options: MatchOptions,
): ResolvedBinding {
  const identityName = binding.spec.azureIdentity ?? '';
  const identity = identitiesByKey.get(objectKey(binding.metadata.namespace, identityName));
  let invalid: ResolvedBinding['invalid'];
  if (identity !== undefined) {
    const validation = validateAzureIdentity(identity);
    if (!validation.ok) {
      // Resource ID problems keep upstream's §2.13 text; the others name the object and the missing field.
      invalid = RESOURCE_ID_PROBLEMS.has(validation.code)
        ? {
            code: 'invalid_resource_id',
            validation: validation.code,
            message: invalidResourceIdMessage(identity.spec.resourceID ?? ''),
          }
        : { code: 'invalid_identity', validation: validation.code, message: validation.message };
    }
  }
  return {
    binding,
    bindingKey: objectKey(binding.metadata.namespace, binding.metadata.name),
    identityName,
    identity,
    namespaced: identity !== undefined && (options.namespaced || isNamespacedIdentity(identity)),
    invalid,
  };
}

/** The bindings with one selector, and whether an eligible pod carried that label (else they are unmatched). */
interface SelectorBindings {
  readonly bindings: ResolvedBinding[];
  used: boolean;
}

/**
 * Bindings by exact selector, each list sorted by (namespace, name) as upstream did for determinism (§2.5).
 * This index is what keeps matching linear in pods + bindings instead of their product.
 */
function indexBindingsBySelector(
  bindings: readonly AzureIdentityBinding[],
  identitiesByKey: ReadonlyMap<string, AzureIdentity>,
  options: MatchOptions,
  skipped: SkipReason[],
): Map<string, SelectorBindings> {
  const bySelector = new Map<string, SelectorBindings>();
  const seen = new Set<string>();
  for (const binding of sortObjects(bindings, (b) => JSON.stringify(b))) {
    const key = objectKey(binding.metadata.namespace, binding.metadata.name);
    if (seen.has(key)) {
      const message = `AzureIdentityBinding ${key} appears more than once; the first copy is used`;
      skipped.push({ subject: 'binding', code: 'binding_duplicate', message, binding: refOf(binding) });
      continue;
    }
    seen.add(key);
    const selector = binding.spec.selector ?? '';
    const resolved = resolveBinding(binding, identitiesByKey, options);
    const entry = bySelector.get(selector);
    if (entry === undefined) bySelector.set(selector, { bindings: [resolved], used: false });
    else entry.bindings.push(resolved);
  }
  return bySelector;
}

/**
 * Whether `namespace/name` identifies each pod unambiguously. Two different (namespace, name) pairs share that key
 * only when one namespace contains `/` (`a/b`+`c` and `a`+`b/c`): never the case for real Kubernetes objects, but
 * the input is not trusted. Non-string parts (untyped callers) are treated as ambiguous too.
 */
function podKeysAreUnambiguous(pods: readonly Pod[]): boolean {
  return pods.every(({ metadata: { namespace, name } }) => {
    return typeof namespace === 'string' && typeof name === 'string' && !namespace.includes('/');
  });
}

function podSkip(pod: Pod, code: Extract<SkipReason, { subject: 'pod' }>['code'], message: string): SkipReason {
  return { subject: 'pod', code, message, pod: refOf(pod) };
}

function pairSkip(pod: Pod, resolved: ResolvedBinding, code: PodBindingSkipCode, message: string): SkipReason {
  return {
    subject: 'pod_binding',
    code,
    message,
    pod: refOf(pod),
    binding: refOf(resolved.binding),
    identity: { namespace: resolved.binding.metadata.namespace, name: resolved.identityName },
  };
}

/**
 * One pod's assignments and skip reasons, appended to `assignments` and `skipped`; returns the selector whose bindings
 * the pod used (they are then not "unmatched"), if any. Depends only on the pod and the resolved bindings.
 */
function matchPod(
  pod: Pod,
  bindingsBySelector: ReadonlyMap<string, SelectorBindings>,
  assignments: DesiredAssignment[],
  skipped: SkipReason[],
): string | undefined {
  const { name: podName, namespace: podNamespace } = pod.metadata;
  const eligibility = podEligibility(pod);
  if (!eligibility.eligible) {
    skipped.push(podSkip(pod, eligibility.code, eligibility.message));
    return undefined;
  }
  const { label, nodeName } = eligibility;
  const selectorBindings = bindingsBySelector.get(label);
  if (selectorBindings === undefined) {
    skipped.push(
      podSkip(
        pod,
        'pod_no_matching_binding',
        `no AzureIdentityBinding with selector "${label}" for pod ${objectKey(podNamespace, podName)}`,
      ),
    );
    return undefined;
  }
  selectorBindings.used = true;
  const candidates = selectorBindings.bindings;

  /**
   * Identity name → the identity namespace already assigned to this pod (checklist row 20). Only a pod with
   * several candidate bindings can meet a name twice, so the usual single-binding pod allocates no map.
   */
  const identityNamespaceByName = candidates.length > 1 ? new Map<string, string>() : undefined;
  for (const resolved of candidates) {
    const { identity, identityName, bindingKey } = resolved;
    if (identity === undefined) {
      const message = `${identityName} identity not found when using ${bindingKey} binding`;
      skipped.push(pairSkip(pod, resolved, 'identity_not_found', message));
      continue;
    }
    const identityNamespace = identity.metadata.namespace;
    // Upstream requires identity ns == binding ns == pod ns; the first equality holds by the lookup.
    if (resolved.namespaced && identityNamespace !== podNamespace) {
      const message = `identity ${objectKey(identityNamespace, identityName)} (binding ${bindingKey}) is namespaced and pod ${objectKey(podNamespace, podName)} is in another namespace`;
      skipped.push(pairSkip(pod, resolved, 'cross_namespace', message));
      continue;
    }
    if (resolved.invalid !== undefined) {
      skipped.push(pairSkip(pod, resolved, resolved.invalid.code, resolved.invalid.message));
      continue;
    }
    const firstNamespace = identityNamespaceByName?.get(identityName);
    if (firstNamespace === identityNamespace) {
      const message = `pod ${objectKey(podNamespace, podName)} already gets identity ${objectKey(firstNamespace, identityName)} through another binding`;
      skipped.push(pairSkip(pod, resolved, 'redundant_binding', message));
      continue;
    }
    if (firstNamespace !== undefined) {
      const message = `AzureIdentity ${identityName} exists in both ${firstNamespace} and ${identityNamespace} namespace. Considering renaming it or enabling Namespace mode (${NAMESPACED_MODE_DOCS})`;
      skipped.push(pairSkip(pod, resolved, 'duplicate_identity_name', message));
      continue;
    }
    identityNamespaceByName?.set(identityName, identityNamespace);
    assignments.push({
      name: assignedIdentityName({ podName, podNamespace, identityName, identityNamespace }),
      namespace: resolved.namespaced ? identityNamespace : DEFAULT_ASSIGNMENT_NAMESPACE,
      podName,
      podNamespace,
      nodeName,
      identity,
      binding: resolved.binding,
    });
  }
  return label;
}

function markUsed(bindingsBySelector: ReadonlyMap<string, SelectorBindings>, selector: string): void {
  const entry = bindingsBySelector.get(selector);
  if (entry !== undefined) entry.used = true;
}

/**
 * Pods × bindings × identities → the AzureAssignedIdentity objects that should exist (§2.5), plus a reason for
 * every pod, pod/binding pair and binding that produced none. Pure and deterministic: the result does not depend on
 * the order of the inputs.
 *
 * Deliberate differences from upstream: finished pods (Succeeded/Failed) get nothing (Q2); names come from
 * {@link assignedIdentityName} (Q1); an identity `validateAzureIdentity` refuses (type 0 without clientID or
 * with an invalid resourceID, a service principal without its fields, an unknown type) is skipped here (§2.13).
 */
export function matchAssignments(
  pods: readonly Pod[],
  bindings: readonly AzureIdentityBinding[],
  identities: readonly AzureIdentity[],
  options: MatchOptions,
): MatchResult {
  const skipped: SkipReason[] = [];
  const identitiesByKey = indexIdentities(identities);
  const bindingsBySelector = indexBindingsBySelector(bindings, identitiesByKey, options, skipped);
  const assignments: DesiredAssignment[] = [];
  const outcomes = options.memo?.outcomesFor(bindings, identities, options.namespaced);

  const sortedPods = sortObjects(pods, (p) => JSON.stringify([p.spec?.nodeName, p.status?.phase, p.metadata.labels]));
  // A pod is used once per namespace/name key. The sort puts equal (namespace, name) pairs next to each other, so
  // with unambiguous keys comparing each pod with its predecessor finds every repeat without building and hashing
  // a key per pod; otherwise a set of keys keeps the key-based rule exactly.
  const seenPodKeys = podKeysAreUnambiguous(pods) ? undefined : new Set<string>();
  let previousPod: Pod | undefined;
  for (const pod of sortedPods) {
    const { name: podName, namespace: podNamespace } = pod.metadata;
    let repeated: boolean;
    if (seenPodKeys === undefined) {
      repeated = previousPod?.metadata.name === podName && previousPod.metadata.namespace === podNamespace;
    } else {
      const podKey = objectKey(podNamespace, podName);
      repeated = seenPodKeys.has(podKey);
      seenPodKeys.add(podKey);
    }
    previousPod = pod;
    if (repeated) {
      const message = `pod ${objectKey(podNamespace, podName)} appears more than once; the first copy is used`;
      skipped.push(podSkip(pod, 'pod_duplicate', message));
      continue;
    }

    const known = outcomes?.get(pod);
    if (known !== undefined) {
      for (const assignment of known.assignments) assignments.push(assignment);
      for (const reason of known.skipped) skipped.push(reason);
      if (known.selector !== undefined) markUsed(bindingsBySelector, known.selector);
      continue;
    }
    const firstAssignment = assignments.length;
    const firstSkipped = skipped.length;
    const selector = matchPod(pod, bindingsBySelector, assignments, skipped);
    outcomes?.set(pod, {
      assignments: assignments.slice(firstAssignment),
      skipped: skipped.slice(firstSkipped),
      selector,
    });
  }

  for (const [selector, { bindings: list, used }] of bindingsBySelector) {
    if (used) continue;
    for (const { binding } of list) {
      skipped.push({
        subject: 'binding',
        code: 'binding_unmatched',
        message: `AzureIdentityBinding ${objectKey(binding.metadata.namespace, binding.metadata.name)}: no eligible pod has ${POD_LABEL_KEY}=${JSON.stringify(selector)}`,
        binding: refOf(binding),
      });
    }
  }
  return { assignments, skipped };
}
