/**
 * The scheduler's taint rule, for the sandbox's stand-in scheduler: a pod may go to a node only when it tolerates
 * every `NoSchedule` and `NoExecute` taint of that node (`PreferNoSchedule` is only a preference). The sandbox taints
 * its nodes with NMI's start-up taint, so `npm start -- --netns` shows a node taking pods only once its NMI serves.
 */
import type { Node, Pod } from '@podid/crd-types';
import { createNodeInformer, type KubeConnection } from '@podid/kube-client';

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

/** NMI's default `--startup-taint`. */
export const NMI_STARTUP_TAINT: Taint = { key: 'podid.io/nmi-not-ready', effect: 'NoSchedule' };

/** Kubernetes' toleration match: same effect (or none), key equal (or empty with Exists), value equal unless Exists. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  if (!toleration.key) return operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

export function taintsOf(node: Node | undefined): Taint[] {
  const taints = (node?.spec as { taints?: unknown } | undefined)?.taints;
  return Array.isArray(taints) ? (taints as Taint[]) : [];
}

export function tolerationsOf(pod: Pod): Toleration[] {
  const tolerations = (pod.spec as { tolerations?: unknown } | undefined)?.tolerations;
  return Array.isArray(tolerations) ? (tolerations as Toleration[]) : [];
}

/** The taints of `node` that keep `pod` off it (empty: the pod may be scheduled there). */
export function untoleratedTaints(pod: Pod, node: Node | undefined): Taint[] {
  const tolerations = tolerationsOf(pod);
  return taintsOf(node).filter(
    (taint) =>
      (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') &&
      !tolerations.some((toleration) => tolerates(toleration, taint)),
  );
}

/** What the fake kubelet asks before placing a pod: which of its nodes take it, and when that may have changed. */
export interface NodeFilter {
  schedulable(pod: Pod, candidates: readonly string[]): string[];
  onChange(listener: () => void): void;
}

/** A NodeFilter backed by a Node informer, so a taint removed by NMI reschedules the waiting pods at once. */
export class NodeTaintWatch implements NodeFilter {
  private readonly informer;
  private readonly listeners: Array<() => void> = [];

  constructor(connection: KubeConnection) {
    this.informer = createNodeInformer({ connection, initialBackoffMs: 100, maxBackoffMs: 2000 });
    const notify = () => {
      for (const listener of this.listeners) listener();
    };
    this.informer.onAdd(notify);
    this.informer.onUpdate(notify);
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.synced;
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  schedulable(pod: Pod, candidates: readonly string[]): string[] {
    return candidates.filter((name) => untoleratedTaints(pod, this.informer.get(undefined, name)).length === 0);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}
