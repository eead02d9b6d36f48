import type { Pod } from '@podid/crd-types';
import { owningReplicaSetName } from './resolve-caller-pod.js';

/**
 * §3.8 MIC short-circuit: namespace equals `--MICNamespace` (case-insensitive) and the owning ReplicaSet's name
 * matches upstream's `^mic-*` (which, as a regex, means "starts with mic"). Exceptions proper are matcher's
 * `isExcepted`.
 */
export function isMicPod(pod: Pod, micNamespace: string): boolean {
  if (pod.metadata.namespace.toLowerCase() !== micNamespace.toLowerCase()) return false;
  return /^mic-*/.test(owningReplicaSetName(pod) ?? '');
}
