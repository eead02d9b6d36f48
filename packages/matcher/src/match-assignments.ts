import {
  type AzureIdentity,
  type AzureIdentityBinding,
  IdentityType,
  identityTypeOf,
  isNamespacedIdentity,
  type Pod,
  POD_LABEL_KEY,
  parseUserAssignedIdentityId,
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
 * Bindings by exact selector, each list sorted by (namespace, name) as upstream did for determinism (§2.5).
 * This index is what keeps matching linear in pods + bindings instead of their product.
 */
function indexBindingsBySelector(
  bindings: readonly AzureIdentityBinding[],
  skipped: SkipReason[],
): Map<string, AzureIdentityBinding[]> {
  const bySelector = new Map<string, AzureIdentityBinding[]>();
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
    const list = bySelector.get(selector);
    if (list === undefined) bySelector.set(selector, [binding]);
    else list.push(binding);
  }
  return bySelector;
}

function podSkip(pod: Pod, code: Extract<SkipReason, { subject: 'pod' }>['code'], message: string): SkipReason {
  return { subject: 'pod', code, message, pod: refOf(pod) };
}

/**
 * Pods × bindings × identities → the AzureAssignedIdentity objects that should exist (§2.5), plus a reason for
 * every pod, pod/binding pair and binding that produced none. Pure and deterministic: the result does not depend on
 * the order of the inputs.
 *
 * Deliberate differences from upstream: finished pods (Succeeded/Failed) get nothing (Q2); names come from
 * {@link assignedIdentityName} (Q1); a type-0 identity with an invalid resourceID is skipped here (§2.13).
 */
export function matchAssignments(
  pods: readonly Pod[],
  bindings: readonly AzureIdentityBinding[],
  identities: readonly AzureIdentity[],
  options: MatchOptions,
): MatchResult {
  const skipped: SkipReason[] = [];
  const identitiesByKey = indexIdentities(identities);
  const bindingsBySelector = indexBindingsBySelector(bindings, skipped);
  const usedSelectors = new Set<string>();
  const assignments: DesiredAssignment[] = [];
  const seenPods = new Set<string>();

  const sortedPods = sortObjects(pods, (p) => JSON.stringify([p.spec?.nodeName, p.status?.phase, p.metadata.labels]));
  for (const pod of sortedPods) {
    const { name: podName, namespace: podNamespace } = pod.metadata;
    const podKey = objectKey(podNamespace, podName);
    if (seenPods.has(podKey)) {
      skipped.push(podSkip(pod, 'pod_duplicate', `pod ${podKey} appears more than once; the first copy is used`));
      continue;
    }
    seenPods.add(podKey);

    const eligibility = podEligibility(pod);
    if (!eligibility.eligible) {
      skipped.push(podSkip(pod, eligibility.code, eligibility.message));
      continue;
    }
    const { label, nodeName } = eligibility;
    usedSelectors.add(label);
    const candidates = bindingsBySelector.get(label);
    if (candidates === undefined) {
      skipped.push(
        podSkip(pod, 'pod_no_matching_binding', `no AzureIdentityBinding with selector "${label}" for pod ${podKey}`),
      );
      continue;
    }

    /** Identity name → the identity namespace already assigned to this pod (checklist row 20). */
    const identityNamespaceByName = new Map<string, string>();
    for (const binding of candidates) {
      const identityName = binding.spec.azureIdentity ?? '';
      const identityRef: ObjectRef = { namespace: binding.metadata.namespace, name: identityName };
      const skipPair = (code: PodBindingSkipCode, message: string): void => {
        skipped.push({
          subject: 'pod_binding',
          code,
          message,
          pod: refOf(pod),
          binding: refOf(binding),
          identity: identityRef,
        });
      };
      const bindingKey = objectKey(binding.metadata.namespace, binding.metadata.name);

      // Always looked up in the binding's own namespace (§1.3).
      const identity = identitiesByKey.get(objectKey(binding.metadata.namespace, identityName));
      if (identity === undefined) {
        skipPair('identity_not_found', `${identityName} identity not found when using ${bindingKey} binding`);
        continue;
      }
      const namespaced = options.namespaced || isNamespacedIdentity(identity);
      // Upstream requires identity ns == binding ns == pod ns; the first equality holds by the lookup above.
      if (namespaced && identity.metadata.namespace !== podNamespace) {
        skipPair(
          'cross_namespace',
          `identity ${objectKey(identity.metadata.namespace, identityName)} (binding ${bindingKey}) is namespaced and pod ${podKey} is in another namespace`,
        );
        continue;
      }
      if (identityTypeOf(identity) === IdentityType.UserAssignedMSI) {
        const resourceId = parseUserAssignedIdentityId(identity.spec.resourceID ?? '');
        if (!resourceId.ok) {
          skipPair('invalid_resource_id', resourceId.error.message);
          continue;
        }
      }
      const firstNamespace = identityNamespaceByName.get(identityName);
      if (firstNamespace === identity.metadata.namespace) {
        skipPair(
          'redundant_binding',
          `pod ${podKey} already gets identity ${objectKey(firstNamespace, identityName)} through another binding`,
        );
        continue;
      }
      if (firstNamespace !== undefined) {
        skipPair(
          'duplicate_identity_name',
          `AzureIdentity ${identityName} exists in both ${firstNamespace} and ${identity.metadata.namespace} namespace. Considering renaming it or enabling Namespace mode (${NAMESPACED_MODE_DOCS})`,
        );
        continue;
      }
      identityNamespaceByName.set(identityName, identity.metadata.namespace);
      assignments.push({
        name: assignedIdentityName({
          podName,
          podNamespace,
          identityName,
          identityNamespace: identity.metadata.namespace,
        }),
        namespace: namespaced ? identity.metadata.namespace : DEFAULT_ASSIGNMENT_NAMESPACE,
        podName,
        podNamespace,
        nodeName,
        identity,
        binding,
      });
    }
  }

  for (const [selector, list] of bindingsBySelector) {
    if (usedSelectors.has(selector)) continue;
    for (const binding of list) {
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
