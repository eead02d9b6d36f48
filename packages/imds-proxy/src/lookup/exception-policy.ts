import type { AzurePodIdentityException, Pod } from '@podid/crd-types';
import { owningReplicaSetName } from './resolve-caller-pod.js';

/**
 * §3.8 / §1.5: a pod is excepted when any label of any exception in its own namespace is on the pod with a value
 * equal case-insensitively (key compared exactly).
 */
export function isExceptedPod(pod: Pod, exceptions: readonly AzurePodIdentityException[]): boolean {
  const labels = pod.metadata.labels ?? {};
  return exceptions.some(
    (exception) =>
      exception.metadata.namespace === pod.metadata.namespace &&
      Object.entries(exception.spec.podLabels ?? {}).some(
        ([key, value]) => labels[key] !== undefined && labels[key]?.toLowerCase() === value.toLowerCase(),
      ),
  );
}

/** §3.8 MIC short-circuit: namespace equals `--MICNamespace` (case-insensitive) and owner ReplicaSet `^mic-*`. */
export function isMicPod(pod: Pod, micNamespace: string): boolean {
  if (pod.metadata.namespace.toLowerCase() !== micNamespace.toLowerCase()) return false;
  return /^mic-*/.test(owningReplicaSetName(pod) ?? '');
}
