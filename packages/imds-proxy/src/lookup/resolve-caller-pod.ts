import type { Pod } from '@podid/crd-types';
import { NmiError, describeError } from '../errors.js';
import { canonicalPodIp } from '../routing/caller-address.js';
import type { Clock, PodLookup } from './lookups.js';

export interface ResolveCallerPodOptions {
  readonly pods: PodLookup;
  readonly clock: Clock;
  /** Total lookups (upstream: 1 + 4 retries). */
  readonly attempts: number;
  readonly retryIntervalMs: number;
  /** Called once per failed attempt (upstream metric `get_pod_list`). */
  readonly onFailedAttempt?: () => void;
}

const LIVE_PHASES = new Set(['Pending', 'Running']);

function podAddresses(pod: Pod): string[] {
  const addresses = new Set<string>();
  if (pod.status?.podIP) addresses.add(canonicalPodIp(pod.status.podIP));
  for (const entry of pod.status?.podIPs ?? []) addresses.add(canonicalPodIp(entry.ip));
  return [...addresses];
}

/**
 * The pods among an index's `candidates` that are live and really have `callerIp` now (an index entry may be a
 * moment stale). Exactly one is a match; none or several is an error (§3.4).
 */
export function liveCallerPods(candidates: readonly Pod[], callerIp: string): Pod[] {
  return candidates.filter(
    (pod) =>
      LIVE_PHASES.has(pod.status?.phase ?? '') &&
      (pod.status?.podIP === callerIp || podAddresses(pod).includes(callerIp)),
  );
}

/**
 * §3.4: the one live pod on this node with the caller's IP. The informer may not have seen a brand-new pod yet,
 * hence the short retry loop. Pods in a terminal phase are ignored: their IP may already belong to a new pod.
 */
export async function resolveCallerPod(
  callerIp: string,
  options: ResolveCallerPodOptions,
  abortable: { readonly signal: AbortSignal },
): Promise<Pod> {
  let lastError: NmiError | undefined;
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    if (attempt > 0) await options.clock.sleep(options.retryIntervalMs, abortable.signal);
    try {
      const live = liveCallerPods(await options.pods.podsByIp(callerIp), callerIp);
      if (live.length === 1) return live[0] as Pod;
      lastError =
        live.length === 0
          ? new NmiError('pod-not-found', 'pod list is empty')
          : new NmiError(
              'pod-ambiguous',
              `failed to match pod IP ${callerIp} with [${live.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(' ')}]`,
            );
    } catch (error) {
      lastError = new NmiError('pod-lookup-failed', describeError(error), { cause: error });
    }
    options.onFailedAttempt?.();
  }
  throw lastError ?? new NmiError('pod-not-found', 'pod list is empty');
}

/** Name of the pod's owning ReplicaSet (first owner of kind ReplicaSet, kind compared case-insensitively). */
export function owningReplicaSetName(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((owner) => owner.kind.toLowerCase() === 'replicaset')?.name;
}
