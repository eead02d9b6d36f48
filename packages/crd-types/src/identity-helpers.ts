import { BEHAVIOR_ANNOTATION_KEY, BEHAVIOR_NAMESPACED, IdentityType, POD_LABEL_KEY } from './constants.js';
import type { AzureIdentity } from './schemas/azure-identity.js';
import type { Pod } from './schemas/core.js';

/** `spec.type`, reading an absent value as 0 (upstream omits zero with Go's `omitempty`). */
export function identityTypeOf(identity: AzureIdentity): number {
  return identity.spec.type ?? IdentityType.UserAssignedMSI;
}

/** True when the identity carries `aadpodidentity.k8s.io/Behavior: namespaced` (exact key and value, §1.2). */
export function isNamespacedIdentity(identity: AzureIdentity): boolean {
  return identity.metadata.annotations?.[BEHAVIOR_ANNOTATION_KEY] === BEHAVIOR_NAMESPACED;
}

/** The pod's `aadpodidbinding` label value, or undefined when absent (an empty string is returned as-is). */
export function podBindingLabel(pod: Pod): string | undefined {
  return pod.metadata.labels?.[POD_LABEL_KEY];
}
