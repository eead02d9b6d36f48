import type {
  AzureAssignedIdentity,
  AzureIdentity,
  AzureIdentityBinding,
  AzurePodIdentityException,
  Node,
  Pod,
} from '@podid/crd-types';
import type { InvalidObjectReport } from '@podid/kube-client';

/** A core/v1 Event as far as diagnosis reads it. */
export interface ClusterEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  /** The last time it happened (`lastTimestamp`, else `eventTime`, else `firstTimestamp`), ms since the epoch. */
  readonly lastSeenMs: number | undefined;
  readonly component: string;
  readonly involvedObject: { readonly kind: string; readonly namespace: string; readonly name: string };
}

/** MIC's election Lease, or why it could not be read. */
export type LeaseReading =
  | { readonly found: false; readonly namespace: string; readonly name: string; readonly error?: string | undefined }
  | {
      readonly found: true;
      readonly namespace: string;
      readonly name: string;
      readonly holder: string;
      readonly renewTimeMs: number | undefined;
      readonly leaseDurationSeconds: number | undefined;
    };

/** One NMI pod: where it runs and whether the kubelet reports it Ready. */
export interface NmiPod {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly ready: boolean;
  readonly phase: string;
}

export interface NmiDaemonSet {
  readonly namespace: string;
  readonly name: string;
  readonly desired: number | undefined;
  readonly ready: number | undefined;
}

/** NMI's DaemonSets and pods, or why they could not be read (a missing permission is not fatal). */
export type NmiReading =
  | { readonly readable: false; readonly error: string }
  | { readonly readable: true; readonly daemonSets: readonly NmiDaemonSet[]; readonly pods: readonly NmiPod[] };

/** The aadpodidentity objects as MIC reads them: the same client and the same validation. */
export interface IdentityObjects {
  readonly identities: readonly AzureIdentity[];
  readonly bindings: readonly AzureIdentityBinding[];
  readonly assignedIdentities: readonly AzureAssignedIdentity[];
  readonly exceptions: readonly AzurePodIdentityException[];
  /** Objects that failed validation and were therefore left out, as MIC leaves them out. */
  readonly invalidObjects: readonly InvalidObjectReport[];
}

export type { Node, Pod };
