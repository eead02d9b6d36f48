import type { MatchMemo } from './match-memo.js';
import type { AzureIdentity, AzureIdentityBinding } from '@podid/crd-types';

/**
 * One identity that one pod should hold: the matcher's output and the reconciler's input. It becomes the
 * AzureAssignedIdentity `namespace/name` (§1.4).
 */
export interface DesiredAssignment {
  /** `metadata.name` of the AzureAssignedIdentity: see {@link assignedIdentityName} (deterministic, collision-free). */
  readonly name: string;
  /**
   * `metadata.namespace` of the AzureAssignedIdentity: the identity's namespace in namespaced mode or when the
   * identity is annotated namespaced, otherwise `default` (upstream's choice, kept for compatibility, §1.4).
   */
  readonly namespace: string;
  readonly podName: string;
  readonly podNamespace: string;
  /** `spec.nodeName` of the pod; becomes `spec.nodename` and the `nodename` label. */
  readonly nodeName: string;
  /** The matched AzureIdentity, as given (embedded as `spec.azureIdentityRef`). */
  readonly identity: AzureIdentity;
  /** The AzureIdentityBinding that matched (embedded as `spec.azureBindingRef`). */
  readonly binding: AzureIdentityBinding;
}

export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}

/** Why a pod as a whole got no identity. */
export type PodSkipCode =
  /** No `aadpodidbinding` label at all (MIC normally lists only labelled pods). */
  | 'pod_no_label'
  /** `aadpodidbinding` present but empty (§2.5). */
  | 'pod_empty_label'
  /** Not scheduled yet: `spec.nodeName` empty (§2.5). */
  | 'pod_no_node'
  /** Phase Succeeded or Failed: a finished pod needs no identity (Q2, deliberate change). */
  | 'pod_terminal_phase'
  /** No AzureIdentityBinding has `spec.selector` equal to the label value. */
  | 'pod_no_matching_binding'
  /** The same namespace/name appeared more than once in the input; only the first (in sorted order) is used. */
  | 'pod_duplicate';

/** Why one binding did not give one pod an identity. */
export type PodBindingSkipCode =
  /** The binding names an AzureIdentity that does not exist in the binding's namespace (§1.3, §2.5). */
  | 'identity_not_found'
  /** Namespaced mode or namespaced identity, and the pod is in another namespace (§2.5). */
  | 'cross_namespace'
  /** Type-0 identity whose `spec.resourceID` is missing or fails the §2.13 check. */
  | 'invalid_resource_id'
  /** Any other identity `validateAzureIdentity` refuses (no clientID, service principal fields, unknown type). */
  | 'invalid_identity'
  /** The pod already gets an identity of the same name from another namespace (checklist row 20). */
  | 'duplicate_identity_name'
  /** The pod already gets this very identity through another binding. */
  | 'redundant_binding';

/** Why a binding was used by no pod at all. */
export type BindingSkipCode =
  /** No eligible pod carries a label equal to `spec.selector`. */
  | 'binding_unmatched'
  /** The same namespace/name appeared more than once in the input; only the first (in sorted order) is used. */
  | 'binding_duplicate';

export type SkipReason =
  | { readonly subject: 'pod'; readonly code: PodSkipCode; readonly message: string; readonly pod: ObjectRef }
  | {
      readonly subject: 'pod_binding';
      readonly code: PodBindingSkipCode;
      readonly message: string;
      readonly pod: ObjectRef;
      readonly binding: ObjectRef;
      /** The identity the binding names (`<binding namespace>/<spec.azureIdentity>`), whether or not it exists. */
      readonly identity: ObjectRef;
    }
  | {
      readonly subject: 'binding';
      readonly code: BindingSkipCode;
      readonly message: string;
      readonly binding: ObjectRef;
    };

export type SkipCode = SkipReason['code'];

export interface MatchOptions {
  /** MIC `--forceNamespaced` / `FORCENAMESPACED=true`: every identity behaves as if annotated namespaced (§2.5). */
  readonly namespaced: boolean;
  /** Reuses unchanged pods' outcomes between calls (a controller's cycles); the result is the same without it. */
  readonly memo?: MatchMemo;
}

export interface MatchResult {
  /** Sorted by (pod namespace, pod name, binding namespace, binding name); independent of input order. */
  readonly assignments: readonly DesiredAssignment[];
  /** Every pod and binding that produced no assignment, with the reason, in a deterministic order. */
  readonly skipped: readonly SkipReason[];
}

/** The tuple an AzureAssignedIdentity name is derived from; distinct tuples always give distinct names. */
export interface AssignedIdentityNameParts {
  readonly podName: string;
  readonly podNamespace: string;
  readonly identityName: string;
  readonly identityNamespace: string;
}

/** What a workload asked NMI for: `client_id`, and `msi_res_id` or `mi_res_id` (§3.3). Empty strings mean absent. */
export interface IdentityRequest {
  readonly clientId?: string | undefined;
  readonly resourceId?: string | undefined;
}

export interface IdentityNotFoundError {
  readonly code: 'identity_not_found';
  /** Upstream's text: `no azure identity found for request clientID <redacted client id>` (§3.7). */
  readonly message: string;
  /** `no_candidates`: the pod has no usable identity at all (Q9: upstream panicked); `no_match`: none matched. */
  readonly reason: 'no_candidates' | 'no_match';
}

export type SelectIdentityResult =
  | { readonly ok: true; readonly identity: AzureIdentity }
  | { readonly ok: false; readonly error: IdentityNotFoundError };
