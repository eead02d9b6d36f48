/**
 * Per-type rules that the real API server keeps in its registry "strategies": defaults applied on create, the CRD
 * status the apiextensions controllers would write, and what a completed DELETE answers.
 */
import { alreadyExists } from './status-errors.js';
import type { KubeObject, ResourceType } from './resource-types.js';
import type { TypeRegistry } from './type-registry.js';
import { validateCrd } from './validation.js';

/** Namespaces the real server refuses to delete. */
export const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** Per-type defaults the real registry strategies apply on create. */
export function prepareForCreate(rt: ResourceType, obj: KubeObject, types: TypeRegistry, now: string): void {
  if (rt.group === '' && rt.plural === 'pods') {
    const containers: KubeObject[] = obj['spec']?.containers ?? [];
    const hasResources = containers.some((c) => c['resources'] && Object.keys(c['resources']).length > 0);
    obj['status'] = { phase: 'Pending', qosClass: hasResources ? 'Burstable' : 'BestEffort' };
    defaultServiceAccount(obj);
  } else if (rt.group === '' && rt.plural === 'secrets') {
    if (obj['type'] === undefined || obj['type'] === '') obj['type'] = 'Opaque';
  } else if (rt.group === '' && rt.plural === 'namespaces') {
    obj['spec'] = { finalizers: ['kubernetes'] };
    obj['status'] = { phase: 'Active' };
    obj['metadata'].labels = {
      ...(obj['metadata'].labels ?? {}),
      'kubernetes.io/metadata.name': obj['metadata'].name,
    };
  } else if (rt.group === 'apiextensions.k8s.io') {
    validateCrd(rt, obj);
    const spec = obj['spec'];
    if (types.pluralTakenByOther(obj['metadata'].name, spec.group, spec.names.plural)) {
      throw alreadyExists(rt, obj['metadata'].name);
    }
    obj['status'] = crdStatus(obj, now);
  } else if (rt.isCustom && rt.hasStatusSubresource) {
    // Custom resources with a status subresource drop status on create; built-ins like Node keep it.
    delete obj['status'];
  }
}

/**
 * The ServiceAccount admission plugin: a pod without `spec.serviceAccountName` runs as `default`; the deprecated
 * `spec.serviceAccount` mirrors it. (Unlike the real plugin, a pod naming a missing service account is not refused.)
 */
function defaultServiceAccount(pod: KubeObject): void {
  if (typeof pod['spec'] !== 'object' || pod['spec'] === null) pod['spec'] = {};
  const spec = pod['spec'];
  const name = spec.serviceAccountName || spec.serviceAccount || 'default';
  spec.serviceAccountName = name;
  spec.serviceAccount = name;
}

/** Established and NamesAccepted at once: there is no naming conflict check beyond plural uniqueness. */
export function crdStatus(crd: KubeObject, when: string): KubeObject {
  const names = crd['spec'].names;
  return {
    acceptedNames: {
      ...names,
      singular: names.singular ?? String(names.kind).toLowerCase(),
      listKind: names.listKind ?? `${names.kind}List`,
    },
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        lastTransitionTime: when,
        reason: 'NoConflicts',
        message: 'no conflicts found',
      },
      {
        type: 'Established',
        status: 'True',
        lastTransitionTime: when,
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
    ],
    storedVersions: (crd['spec'].versions ?? [])
      .filter((v: KubeObject) => v['storage'])
      .map((v: KubeObject) => v['name']),
  };
}

/**
 * What a completed DELETE answers: the object for types whose real registry returns it (pods, custom resources,
 * CRDs), a Success Status naming the object for the rest (configmaps, secrets, leases, nodes...).
 */
export function deletedResponse(rt: ResourceType, finalState: KubeObject): KubeObject {
  const returnsObject = rt.isCustom || rt.group === 'apiextensions.k8s.io' || (rt.group === '' && rt.plural === 'pods');
  if (returnsObject) return finalState;
  const details: KubeObject = { name: finalState['metadata'].name, kind: rt.plural, uid: finalState['metadata'].uid };
  if (rt.group !== '') details['group'] = rt.group;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
