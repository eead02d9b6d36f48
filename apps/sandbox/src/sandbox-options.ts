import type { AzureWorld, AzureWorldShape } from './azure-world.js';

export interface SandboxOptions {
  /** Shape of the emulated Azure (scale sets, VMs, identities). Default: 1 VMSS × 2 nodes, 1 VM, 2 identities. */
  world?: Partial<AzureWorldShape>;
  /** Duration of every VM/VMSS PATCH in the emulated ARM, in ms (production VMSS: 40–60 s). Default 20. */
  armLatencyMs?: number;
  /** Start MIC (default true). */
  mic?: boolean;
  /** Start one NMI per node (default true); benchmarks of assignment alone turn it off. */
  nmi?: boolean;
  /**
   * Root only: a network namespace per node and per pod; NMI runs in the node's namespace and redirects
   * 169.254.169.254 with real iptables; pods get 10.x addresses and reach IMDS as in a cluster.
   */
  netns?: boolean;
  /**
   * Register the nodes with NMI's start-up taint (`podid.io/nmi-not-ready:NoSchedule`), which each NMI removes once
   * it serves; the stand-in scheduler keeps pods that do not tolerate it off the node until then. Default: on when
   * NMIs run.
   */
  startupTaint?: boolean;
  /** Extra MIC flags, e.g. `--immutable-user-msis=<id>`; a function when they name the world's (random) IDs. */
  micArgs?: readonly string[] | ((world: AzureWorld) => readonly string[]);
  /** Extra NMI flags for every node, e.g. `--block-instance-metadata`. */
  nmiArgs?: readonly string[];
  /**
   * Put a cluster (kubelet) identity on every VM/VMSS and name it in the cloud config (MIC must never remove it), an
   * unrelated user-assigned identity MIC must leave alone, and a system-assigned identity. Default true.
   */
  preassignedIdentities?: boolean;
  /** Directory for logs, kubeconfig and config files; default a new temporary directory (kept on close). */
  workDir?: string;
  /** Delete the (default, temporary) work directory on close (tests); a given `workDir` is never deleted. */
  removeWorkDirOnClose?: boolean;
  /** Namespace MIC runs in. Default `default`. */
  micNamespace?: string;
  /** Progress lines while starting and for the fake kubelet's actions. */
  onProgress?: (line: string) => void;
  /** Every output line of MIC and the NMIs. */
  onComponentLine?: (component: string, line: string) => void;
  /** Override the built app entry points (default apps/{mic,nmi}/dist/main.js of this repository). */
  micScript?: string;
  nmiScript?: string;
}

/**
 * MIC flags the sandbox sets by default: a short debounce, a client QPS that does not queue lease renewals behind a
 * burst of writes, and ARM update polling fine enough that an emulated PATCH latency L shows up as ~L, not 5 s.
 */
export const SANDBOX_MIC_ARGS = ['--sync-debounce=100ms', '--clientQps=200', '--arm-poll-interval=100ms'] as const;

/** NMI flags the sandbox sets by default: look for a new assignment every second instead of every 5 s. */
export const SANDBOX_NMI_ARGS = ['--find-identity-retry-interval=1'] as const;
