/** The handle startSandbox returns, and the small types and waits that go with it. */
import type { LaunchedComponent, LaunchedNmi } from './component-launcher.js';
import type { AzureEmulator } from '@podid/azure-emulator';
import type { KubeEmulator } from '@podid/kube-emulator';
import type { AzureWorld } from './azure-world.js';
import type { AzureIdentityInput, PodSpecInput } from './cluster-objects.js';
import type { KubeObject, KubeRest } from './kube-rest.js';
import type { TokenQuery, WorkloadResponse } from './workload-request.js';

export interface SandboxPod {
  name: string;
  namespace: string;
  nodeName: string;
  podIP: string;
  uid: string;
  /** Netns mode: the pod's network namespace. */
  netns?: string;
}

export interface SandboxNmi extends LaunchedNmi {
  nodeName: string;
  imdsUrl: string;
  /** Netns mode: the node's network namespace (NMI listens there; pods reach it as 169.254.169.254). */
  namespace?: string;
}

/** Netns mode: the pod annotation naming the pod's network namespace (`ip netns exec <it> curl ...`). */
export const NETNS_ANNOTATION = 'sandbox.podid.io/netns';

export interface WaitOptions {
  timeoutMs?: number;
}

export interface Sandbox {
  workDir: string;
  kube: { url: string; kubeconfigPath: string; rest: KubeRest; emulator: KubeEmulator };
  azure: { emulator: AzureEmulator; world: AzureWorld };
  /** Running MIC replicas, first started first. */
  mics: LaunchedComponent[];
  /** NMI per node name. */
  nmis: Map<string, SandboxNmi>;
  /** Milestones of start-up, ms since startSandbox was called. */
  startupTimings: { step: string; ms: number }[];

  createNamespace(name: string): Promise<void>;
  createIdentity(input: AzureIdentityInput): Promise<KubeObject>;
  createBinding(input: {
    name: string;
    namespace?: string;
    identityName: string;
    selector: string;
  }): Promise<KubeObject>;
  createException(input: { name: string; namespace?: string; podLabels: Record<string, string> }): Promise<KubeObject>;
  /** A Secret holding the workload service principal's secret (key `clientSecret`), for type-1 identities. */
  createServicePrincipalSecret(name: string, namespace?: string): Promise<void>;
  /** Creates a pod and waits until the fake kubelet gave it a node and an address. */
  createPod(input: PodSpecInput, options?: WaitOptions): Promise<SandboxPod>;
  deletePod(pod: { name: string; namespace: string }): Promise<void>;
  /** AzureAssignedIdentity objects made for this pod (any namespace). */
  assignedIdentities(pod: { name: string; namespace: string }): Promise<KubeObject[]>;
  /** Waits until `count` (default 1) assigned identities of the pod are `Assigned`; answers them. */
  waitForAssigned(
    pod: { name: string; namespace: string },
    options?: WaitOptions & { count?: number },
  ): Promise<KubeObject[]>;
  /** Waits until no AzureAssignedIdentity exists for the pod. */
  waitForNoAssigned(pod: { name: string; namespace: string }, options?: WaitOptions): Promise<void>;
  /** `GET /metadata/identity/oauth2/token` from the pod's address to its node's NMI. */
  fetchToken(pod: SandboxPod, resource: string, query?: Omit<TokenQuery, 'resource'>): Promise<WorkloadResponse>;
  /** Any request from the pod's address to its node's NMI (default header `Metadata: true`). */
  requestFromPod(pod: SandboxPod, path: string, headers?: Record<string, string>): Promise<WorkloadResponse>;
  /** Lower-cased user-assigned identity IDs on the VM/VMSS behind a node. */
  nodeIdentities(nodeName: string): string[];
  /** Removes an identity from a node's VM/VMSS through ARM, as an operator would with `az vmss identity remove`. */
  removeIdentityExternally(nodeName: string, identityResourceId: string): Promise<void>;
  /** Starts another MIC replica (leader election). */
  startMic(options?: {
    instance?: string;
    extraArgs?: readonly string[];
    waitActive?: boolean;
  }): Promise<LaunchedComponent>;
  /**
   * Starts NMI on a node that has none (sandboxes started with `nmi: false`); resolves once it is active and, with
   * the start-up taint, once it has taken the taint off its node.
   */
  startNmi(nodeName: string): Promise<SandboxNmi>;
  /**
   * Netns mode: TCP connections that reached the node's own IMDS at 169.254.169.254 (requests that escaped NMI and
   * got the node's identities), from `source` or from anywhere. Always 0 outside netns mode.
   */
  nodeImdsConnections(nodeName: string, source?: string): number;
  /** Polls `predicate` until it holds. */
  eventually(predicate: () => boolean | Promise<boolean>, what: string, options?: WaitOptions): Promise<void>;
  close(): Promise<void>;
}

export class SandboxTimeoutError extends Error {
  readonly code = 'sandbox_timeout';
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms waiting for ${what}`);
    this.name = 'SandboxTimeoutError';
  }
}

export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  options: WaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new SandboxTimeoutError(what, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
