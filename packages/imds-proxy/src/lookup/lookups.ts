import type {
  AzureAssignedIdentity,
  AzureIdentity,
  AzureIdentityBinding,
  AzurePodIdentityException,
  Pod,
} from '@podid/crd-types';

/**
 * What NMI reads from the cluster, as interfaces: the app backs them with informer caches and the Secrets API,
 * tests back them with plain arrays. Every method may answer synchronously (cache) or asynchronously (API call).
 */
export type MaybePromise<T> = T | Promise<T>;

/** True when a lookup answered from memory rather than with a promise (what the cached-token fast path needs). */
export function isImmediate<T>(value: MaybePromise<T>): value is T {
  return typeof (value as { then?: unknown } | null | undefined)?.then !== 'function';
}

export interface PodLookup {
  /** Pods on this node whose `status.podIP` (or one of `status.podIPs`) is `ip`, any phase. */
  podsByIp(ip: string): MaybePromise<readonly Pod[]>;
  /** The pod `namespace/name` on this node, if known (host token route, managed mode). */
  podByName(namespace: string, name: string): MaybePromise<Pod | undefined>;
}

export interface ExceptionLookup {
  exceptionsInNamespace(namespace: string): MaybePromise<readonly AzurePodIdentityException[]>;
}

/** Standard mode (§3.7): MIC's AzureAssignedIdentity objects for the pod (`spec.pod`/`spec.podNamespace`). */
export interface StandardIdentitySource {
  readonly mode: 'standard';
  assignedIdentitiesForPod(namespace: string, podName: string): MaybePromise<readonly AzureAssignedIdentity[]>;
  /**
   * Optional: resolves when the pod's AzureAssignedIdentities may have changed (an informer event for it), and
   * rejects with the signal's reason when it aborts. With it, a request waiting for MIC is answered as soon as the
   * identity turns Assigned instead of at the next `--find-identity-retry-interval` tick.
   */
  assignedIdentitiesChanged?(namespace: string, podName: string, signal: AbortSignal): Promise<void>;
  /**
   * Optional: every AzureIdentityBinding (any namespace) whose selector is `selector`. With it, a pod whose label no
   * binding selects is answered at once instead of after the whole retry budget: MIC can assign it nothing.
   */
  bindingsWithSelector?(selector: string): MaybePromise<readonly AzureIdentityBinding[]>;
}

/** Managed mode (§3.9): bindings and identities read directly, no MIC. */
export interface ManagedIdentitySource {
  readonly mode: 'managed';
  bindingsInNamespace(namespace: string): MaybePromise<readonly AzureIdentityBinding[]>;
  identitiesInNamespace(namespace: string): MaybePromise<readonly AzureIdentity[]>;
}

export type IdentitySource = StandardIdentitySource | ManagedIdentitySource;

export interface SecretLookup {
  /** `data` of the Secret, values already base64-decoded. Rejects when the secret cannot be read. */
  secretData(namespace: string, name: string): Promise<Readonly<Record<string, Uint8Array>>>;
}

/** Time, injected so retry loops and token expiry are testable without waiting. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
