import type { AzureAssignedIdentity, AzureIdentity, AzureIdentityBinding } from '@podid/crd-types';
import { AssignedIdentityState, identityTypeOf, IdentityType, isNamespacedIdentity } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';

/** `namespace/name` of an AzureAssignedIdentity: the key current and desired objects are matched by. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function assignedIdentityKey(assigned: AzureAssignedIdentity): string {
  return objectKey(assigned.metadata.namespace, assigned.metadata.name);
}

export function statusOf(assigned: AzureAssignedIdentity): string {
  return assigned.status?.status ?? '';
}

/** `Assigned`, or empty (objects written before states existed count as assigned, §1.4). */
export function countsAsAssigned(assigned: AzureAssignedIdentity): boolean {
  const status = statusOf(assigned);
  return status === AssignedIdentityState.Assigned || status === '';
}

/** Lower-cased resourceID of a user-assigned (type 0) identity; undefined for service principals or when empty. */
export function userAssignedResourceId(identity: AzureIdentity | undefined): string | undefined {
  if (identity === undefined || identityTypeOf(identity) !== IdentityType.UserAssignedMSI) return undefined;
  const id = identity.spec.resourceID;
  return id === undefined || id === '' ? undefined : id.toLowerCase();
}

export function lowerClientId(identity: AzureIdentity | undefined): string {
  return (identity?.spec.clientID ?? '').toLowerCase();
}

/**
 * Does the existing AzureAssignedIdentity already record this desired assignment?
 *
 * Upstream (§2.6) compares resourceVersions, so any edit of an identity or binding — even a label — rewrites every
 * dependent object and sends it back through Created. podid compares what MIC and NMI actually use: pod, namespace,
 * node, the binding's name/azureIdentity/selector, and the identity's name, type, IDs (case-insensitively),
 * credentials reference, tenants, authority and namespaced annotation.
 */
export function recordsSameAssignment(current: AzureAssignedIdentity, desired: DesiredAssignment): boolean {
  const spec = current.spec;
  return (
    spec.pod === desired.podName &&
    spec.podNamespace === desired.podNamespace &&
    spec.nodename === desired.nodeName &&
    spec.azureBindingRef !== undefined &&
    spec.azureIdentityRef !== undefined &&
    sameBinding(spec.azureBindingRef, desired.binding) &&
    sameIdentity(spec.azureIdentityRef, desired.identity)
  );
}

function sameBinding(a: AzureIdentityBinding, b: AzureIdentityBinding): boolean {
  if (a === b) return true;
  return (
    a.metadata.name === b.metadata.name &&
    a.metadata.namespace === b.metadata.namespace &&
    a.spec.azureIdentity === b.spec.azureIdentity &&
    a.spec.selector === b.spec.selector
  );
}

function sameIdentity(a: AzureIdentity, b: AzureIdentity): boolean {
  if (a === b) return true;
  const x = a.spec;
  const y = b.spec;
  return (
    a.metadata.name === b.metadata.name &&
    a.metadata.namespace === b.metadata.namespace &&
    identityTypeOf(a) === identityTypeOf(b) &&
    sameIgnoringCase(x.clientID, y.clientID) &&
    sameIgnoringCase(x.resourceID, y.resourceID) &&
    (x.tenantID ?? '') === (y.tenantID ?? '') &&
    (x.adEndpoint ?? '') === (y.adEndpoint ?? '') &&
    (x.clientPassword?.name ?? '') === (y.clientPassword?.name ?? '') &&
    (x.clientPassword?.namespace ?? '') === (y.clientPassword?.namespace ?? '') &&
    sameList(x.auxiliaryTenantIDs ?? [], y.auxiliaryTenantIDs ?? []) &&
    isNamespacedIdentity(a) === isNamespacedIdentity(b)
  );
}

function sameIgnoringCase(a: string | undefined, b: string | undefined): boolean {
  // Exact equality first: the usual case, and it allocates nothing.
  return a === b || (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
