/**
 * Names that make podid wire-compatible with aad-pod-identity v1.8.17 (spec §1.1, §1.2, §1.4, §1.6).
 * Every string here is part of the public contract with existing clusters: change none of them.
 */

export const API_GROUP = 'aadpodidentity.k8s.io';
export const API_VERSION = 'v1';
/** `apiVersion` value written into every object of the four kinds. */
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export const CrdKind = {
  AzureIdentity: 'AzureIdentity',
  AzureIdentityBinding: 'AzureIdentityBinding',
  AzureAssignedIdentity: 'AzureAssignedIdentity',
  AzurePodIdentityException: 'AzurePodIdentityException',
} as const;
export type CrdKind = (typeof CrdKind)[keyof typeof CrdKind];

export interface CrdNames {
  readonly kind: CrdKind;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
}

/** kind → plural/singular/listKind, as registered with the API server (§1.1 table). */
export const crdNames: Readonly<Record<CrdKind, CrdNames>> = Object.freeze({
  AzureIdentity: {
    kind: 'AzureIdentity',
    listKind: 'AzureIdentityList',
    plural: 'azureidentities',
    singular: 'azureidentity',
  },
  AzureIdentityBinding: {
    kind: 'AzureIdentityBinding',
    listKind: 'AzureIdentityBindingList',
    plural: 'azureidentitybindings',
    singular: 'azureidentitybinding',
  },
  AzureAssignedIdentity: {
    kind: 'AzureAssignedIdentity',
    listKind: 'AzureAssignedIdentityList',
    plural: 'azureassignedidentities',
    singular: 'azureassignedidentity',
  },
  AzurePodIdentityException: {
    kind: 'AzurePodIdentityException',
    listKind: 'AzurePodIdentityExceptionList',
    plural: 'azurepodidentityexceptions',
    singular: 'azurepodidentityexception',
  },
});

/** All four kinds in a stable order (the order used for manifests and docs). */
export const CRD_KINDS: readonly CrdKind[] = Object.freeze([
  CrdKind.AzureIdentity,
  CrdKind.AzureIdentityBinding,
  CrdKind.AzureAssignedIdentity,
  CrdKind.AzurePodIdentityException,
]);

/** Pod label whose value is compared (exactly, case-sensitively) with `AzureIdentityBinding.spec.selector` (§1.6). */
export const POD_LABEL_KEY = 'aadpodidbinding';

/** Annotation on an AzureIdentity; only the exact value {@link BEHAVIOR_NAMESPACED} has an effect (§1.2). */
export const BEHAVIOR_ANNOTATION_KEY = 'aadpodidentity.k8s.io/Behavior';
export const BEHAVIOR_NAMESPACED = 'namespaced';

/** Finalizer MIC puts on every AzureAssignedIdentity it creates (§1.4). */
export const ASSIGNED_IDENTITY_FINALIZER = 'azureassignedidentity.finalizers.aadpodidentity.k8s.io';

/** The single label on an AzureAssignedIdentity: `nodename: <pod.spec.nodeName>` (§1.4). */
export const NODENAME_LABEL_KEY = 'nodename';

/** Values of `AzureAssignedIdentity.status.status` (§1.4). Empty/absent means a legacy object. */
export const AssignedIdentityState = {
  Created: 'Created',
  Assigned: 'Assigned',
  Unassigned: 'Unassigned',
} as const;
export type AssignedIdentityState = (typeof AssignedIdentityState)[keyof typeof AssignedIdentityState];

/** Values of `AzureIdentity.spec.type` (§1.2, plus podid's type 3). The API server accepts any integer. */
export const IdentityType = {
  UserAssignedMSI: 0,
  ServicePrincipal: 1,
  ServicePrincipalCertificate: 2,
  /**
   * podid's extension: a workload-identity-federated app (a user-assigned identity or app registration with federated
   * credentials). NMI exchanges the pod's service-account token at AAD; nothing is assigned to a VM.
   */
  FederatedIdentity: 3,
} as const;
export type IdentityType = (typeof IdentityType)[keyof typeof IdentityType];

/** Default AAD authority for service-principal identities when `spec.adEndpoint` is empty (§1.2). */
export const DEFAULT_AD_ENDPOINT = 'https://login.microsoftonline.com/';
