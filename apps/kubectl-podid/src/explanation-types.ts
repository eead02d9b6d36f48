/**
 * The `-o json|yaml` shape of `kubectl podid explain` and `kubectl podid status`. Stable: fields are only ever
 * added, never renamed or removed, within one `schemaVersion`; arrays are in a documented, deterministic order.
 * Documented in the app README ("JSON output").
 */

export interface Ref {
  readonly namespace: string;
  readonly name: string;
}

export interface Reason {
  /** Stable code: a `@podid/matcher` skip code, or one of kubectl-podid's own (`pod_exception`, `identity_invalid`). */
  readonly code: string;
  readonly message: string;
}

export interface BindingOutcome {
  readonly binding: Ref;
  readonly selector: string;
  /** The identity the binding names: always in the binding's namespace. */
  readonly identity: Ref;
  readonly matched: boolean;
  /** `matched`, or why not. */
  readonly code: string;
  readonly message: string;
  /** For `cross_namespace`: what made the identity namespaced; otherwise null. */
  readonly namespacedBy: 'flag' | 'annotation' | null;
}

export interface NearMiss {
  readonly selector: string;
  readonly binding: Ref;
  readonly distance: number;
  readonly caseInsensitiveMatch: boolean;
}

export type ArmTargetView =
  | {
      readonly kind: 'vmss';
      readonly subscriptionId: string;
      readonly resourceGroup: string;
      readonly name: string;
      readonly providerID: string;
    }
  | { readonly kind: 'vm'; readonly name: string; readonly providerID: string }
  | { readonly kind: 'unmappable'; readonly providerID: string }
  | { readonly kind: 'node_not_found' };

export interface EventView {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly involvedObject: { readonly kind: string; readonly namespace: string; readonly name: string };
  /** Seconds since it was last seen; null when the event carries no time. */
  readonly lastSeenSecondsAgo: number | null;
}

export interface LeaseView {
  readonly namespace: string;
  readonly name: string;
  readonly found: boolean;
  /** `spec.holderIdentity`; empty when nobody holds it. */
  readonly holder: string;
  readonly renewedSecondsAgo: number | null;
  readonly leaseDurationSeconds: number | null;
  /** A holder renewed it within the lease duration: a MIC leader is active. */
  readonly held: boolean;
  /** Why the Lease could not be read (e.g. forbidden); null otherwise. */
  readonly error: string | null;
}

export interface AssignedIdentityView {
  readonly namespace: string;
  readonly name: string;
  readonly identity: Ref & { readonly clientID: string; readonly type: number };
  readonly binding: Ref;
  /** `status.status`: Created, Assigned, Unassigned, or empty on pre-1.5 objects. */
  readonly state: string;
  readonly ageSeconds: number | null;
  readonly nodeName: string;
  readonly armTarget: ArmTargetView;
  /** Only for `Created`: MIC's latest Events about this pod, its binding or this object (newest first, at most 5). */
  readonly events: readonly EventView[] | null;
}

export interface NmiDefaultPick {
  /** The identity NMI serves a token for when the client sends neither client_id nor msi_res_id. */
  readonly identity: (Ref & { readonly clientID: string }) | null;
  /** Every identity NMI could pick from (Assigned, usable from the pod's namespace), in list order. */
  readonly candidates: readonly (Ref & { readonly clientID: string })[];
  /** More than one candidate: which one NMI takes is arbitrary (its cache order). */
  readonly arbitrary: boolean;
  readonly note: string;
}

export interface PodExplanation {
  readonly kind: 'PodIdentityExplanation';
  readonly schemaVersion: 1;
  readonly pod: {
    readonly namespace: string;
    readonly name: string;
    /** `aadpodidbinding` value; null when the label is absent. */
    readonly label: string | null;
    readonly nodeName: string | null;
    readonly phase: string | null;
  };
  readonly namespacedMode: boolean;
  readonly verdict: { readonly hasAssignedIdentity: boolean; readonly summary: string };
  /** Reasons about the pod as a whole, in evaluation order. */
  readonly podReasons: readonly Reason[];
  /** Every binding whose selector equals the pod's label, sorted by namespace then name. */
  readonly bindings: readonly BindingOutcome[];
  /** Bindings with a selector close to the label, closest first (at most 3). */
  readonly nearestSelectors: readonly NearMiss[];
  /** The pod's AzureAssignedIdentities, sorted by namespace then name. */
  readonly assignedIdentities: readonly AssignedIdentityView[];
  /** MIC's election Lease when an assignment is still `Created` or a matched binding has none yet; else null. */
  readonly micLeader: LeaseView | null;
  readonly nmiDefault: NmiDefaultPick;
}
