/**
 * The sandbox's stand-in for the scheduler and the kubelets: there are no real nodes, so something has to put pods on
 * nodes and give them an address and a phase. It watches pods; a pod without `spec.nodeName` is placed on one of the
 * sandbox's nodes (round robin), a pod on a sandbox node without an address gets one and the status a kubelet reports
 * for started containers (Running, Ready, one running status per container), and a deleted pod frees its address.
 */
import { createPodInformer, type KubeConnection } from '@podid/kube-client';
import type { Pod } from '@podid/crd-types';
import type { KubeRest } from './kube-rest.js';
import type { NodeFilter } from './taint-scheduling.js';
import type { PodAddressPool } from './pod-address-pool.js';
import { runningPodStatus } from './pod-status.js';

export interface FakeKubeletOptions {
  connection: KubeConnection;
  rest: KubeRest;
  /** Sandbox node names; pods on other nodes are left alone. */
  nodeNames: readonly string[];
  /** Address to report as each node's hostIP. */
  hostIp: (nodeName: string) => string;
  /** Address for a pod; default: the next free one from `pool`. Netns mode hands out veth addresses instead. */
  addressFor?: (pod: Pod, nodeName: string) => Promise<string>;
  /** Called when a pod is gone (netns mode tears its namespace down). */
  onPodGone?: (pod: Pod, address: string | undefined) => Promise<void>;
  pool: PodAddressPool;
  log: (line: string) => void;
  /** Taints and tolerations: which nodes take a pod (default: all). Pods no node takes wait for a node change. */
  nodeFilter?: NodeFilter;
}

const MAX_ATTEMPTS = 5;

/**
 * Pods whose network something else provides (a test's real network namespace) carry this annotation; the fake
 * kubelet leaves their node and address alone.
 */
export const EXTERNAL_NETWORK_ANNOTATION = 'sandbox.podid.io/external-network';

export class FakeKubelet {
  private readonly informer;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly addresses = new Map<string, string>();
  private roundRobin = 0;
  private stopped = false;
  /** Pods no node would take yet, retried whenever a node changes (e.g. NMI removed its start-up taint). */
  private readonly unschedulable = new Map<string, Pod>();
  private readonly reportedUnschedulable = new Set<string>();

  constructor(private readonly options: FakeKubeletOptions) {
    this.informer = createPodInformer({ connection: options.connection, initialBackoffMs: 100, maxBackoffMs: 2000 });
    this.informer.onAdd((pod) => this.enqueue(pod));
    this.informer.onUpdate((pod) => this.enqueue(pod));
    this.informer.onDelete((pod) => this.forget(pod));
    options.nodeFilter?.onChange(() => {
      const waiting = [...this.unschedulable.values()];
      this.unschedulable.clear();
      for (const pod of waiting) this.enqueue(pod);
    });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
    await Promise.allSettled([...this.busy.values()]);
  }

  private keyOf(pod: Pod): string {
    return `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid ?? ''}`;
  }

  private enqueue(pod: Pod): void {
    if (this.stopped || pod.metadata.deletionTimestamp) return;
    if (pod.metadata.annotations?.[EXTERNAL_NETWORK_ANNOTATION] === 'true') return;
    const key = this.keyOf(pod);
    if (pod.status?.podIP) {
      // Known address (also after a restart): keep the pool from handing it out again.
      if (!this.addresses.has(key)) {
        this.addresses.set(key, pod.status.podIP);
        this.options.pool.reserve(pod.status.podIP);
      }
      return;
    }
    if (this.busy.has(key)) return;
    const work = this.settle(pod, key).finally(() => this.busy.delete(key));
    this.busy.set(key, work);
  }

  private async settle(pod: Pod, key: string): Promise<void> {
    const { namespace, name } = pod.metadata;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && !this.stopped; attempt++) {
      try {
        let nodeName = pod.spec?.nodeName;
        if (!nodeName) {
          const candidates = this.options.nodeFilter
            ? this.options.nodeFilter.schedulable(pod, this.options.nodeNames)
            : this.options.nodeNames;
          if (candidates.length === 0) {
            if (!this.reportedUnschedulable.has(key)) {
              this.reportedUnschedulable.add(key);
              this.options.log(
                `pod ${namespace}/${name} is unschedulable: every node has a taint it does not tolerate`,
              );
            }
            this.unschedulable.set(key, pod);
            return;
          }
          nodeName = candidates[this.roundRobin++ % candidates.length]!;
          await this.options.rest.mergePatch('pods', namespace, name, { spec: { nodeName } });
          this.options.log(`scheduled pod ${namespace}/${name} to ${nodeName}`);
        }
        if (!this.options.nodeNames.includes(nodeName)) return;
        let address = this.addresses.get(key);
        if (address === undefined) {
          address = this.options.addressFor
            ? await this.options.addressFor(pod, nodeName)
            : this.options.pool.allocate();
          this.addresses.set(key, address);
        }
        await this.options.rest.mergePatchStatus('pods', namespace, name, {
          status: runningPodStatus({ pod, podIP: address, hostIP: this.options.hostIp(nodeName), now: new Date() }),
        });
        this.options.log(`pod ${namespace}/${name} on ${nodeName} is Running with IP ${address}`);
        return;
      } catch (error) {
        if (error instanceof Error && 'status' in error && error.status === 404) return; // deleted meanwhile
        if (attempt === MAX_ATTEMPTS) {
          this.options.log(`could not start pod ${namespace}/${name}: ${(error as Error).message}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  private forget(pod: Pod): void {
    const key = this.keyOf(pod);
    this.unschedulable.delete(key);
    this.reportedUnschedulable.delete(key);
    const address = this.addresses.get(key) ?? pod.status?.podIP;
    this.addresses.delete(key);
    if (address !== undefined) this.options.pool.release(address);
    void this.options.onPodGone?.(pod, address).catch((error: unknown) => {
      this.options.log(`cleanup of pod ${pod.metadata.namespace}/${pod.metadata.name} failed: ${String(error)}`);
    });
  }
}
