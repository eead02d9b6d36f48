import type { LeaseView, Reason, Ref } from './explanation-types.js';

export interface UnmatchedPod extends Ref {
  readonly label: string;
  /** The matcher's reasons: the pod-level one, or one per binding that had the selector. */
  readonly reasons: readonly Reason[];
}

export interface StuckAssignment extends Ref {
  readonly pod: Ref;
  readonly identity: Ref;
  readonly nodeName: string;
  readonly ageSeconds: number;
}

export interface NmiNodeView {
  readonly nodeName: string;
  /** NMI pods on the node, by name. */
  readonly pods: readonly {
    readonly namespace: string;
    readonly name: string;
    readonly ready: boolean;
    readonly phase: string;
  }[];
  /** At least one NMI pod on the node is Ready. */
  readonly ready: boolean;
}

export type NmiStatusView =
  | { readonly readable: false; readonly error: string }
  | {
      readonly readable: true;
      readonly daemonSets: readonly (Ref & { readonly desired: number | null; readonly ready: number | null })[];
      /** Every node with an NMI pod, and every node without one, sorted by node name. */
      readonly nodes: readonly NmiNodeView[];
      readonly nodesWithoutNmi: readonly string[];
    };

export interface ClusterStatus {
  readonly kind: 'PodIdentityStatus';
  readonly schemaVersion: 1;
  /** `-n` restricts every list to that namespace (for assigned identities: the pod's namespace); null = all. */
  readonly namespace: string | null;
  readonly namespacedMode: boolean;
  readonly counts: {
    readonly identities: number;
    readonly bindings: number;
    readonly exceptions: number;
    readonly labelledPods: number;
    readonly assignedIdentities: {
      readonly total: number;
      readonly Created: number;
      readonly Assigned: number;
      readonly Unassigned: number;
      /** Any other (or empty, pre-1.5) state. */
      readonly other: number;
    };
  };
  /** Sorted by namespace then name. */
  readonly identitiesWithoutBinding: readonly Ref[];
  readonly bindingsWithoutIdentity: readonly (Ref & { readonly identity: string })[];
  readonly unmatchedPods: readonly UnmatchedPod[];
  readonly stuckAfterSeconds: number;
  /** `Created` for longer than `stuckAfterSeconds`, oldest first. */
  readonly stuckAssignments: readonly StuckAssignment[];
  readonly micLeader: LeaseView;
  readonly nmi: NmiStatusView;
  /** Objects that fail validation (MIC skips them). */
  readonly invalidObjects: readonly (Ref & { readonly kind: string; readonly error: string })[];
}
