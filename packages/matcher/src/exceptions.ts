import type { AzurePodIdentityException, Pod } from '@podid/crd-types';
import { equalFold } from './equal-fold.js';

/**
 * True when the pod is exempt from identity checks (§1.5, §3.8): some AzurePodIdentityException in the pod's own
 * namespace has a podLabels entry whose key is on the pod (exact match) with a value equal ignoring case.
 */
export function isExcepted(pod: Pod, exceptions: readonly AzurePodIdentityException[]): boolean {
  const labels = pod.metadata.labels;
  if (labels === undefined) return false;
  for (const exception of exceptions) {
    if (exception.metadata.namespace !== pod.metadata.namespace) continue;
    for (const [key, value] of Object.entries(exception.spec.podLabels ?? {})) {
      // hasOwn: a label key like "constructor" must not reach Object.prototype.
      if (Object.hasOwn(labels, key) && equalFold(labels[key]!, value)) return true;
    }
  }
  return false;
}
