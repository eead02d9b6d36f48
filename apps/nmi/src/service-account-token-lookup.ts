import type { ServiceAccountTokenLookup } from '@podid/imds-proxy';
import { type KubeConnection, requestServiceAccountToken } from '@podid/kube-client';

/**
 * The TokenRequest API behind NMI's federated identities. Only called for a pod on this node whose selected identity
 * is type 3, and every token is bound to that pod's name and uid (the API server checks both).
 */
export function createServiceAccountTokenLookup(
  connection: Pick<KubeConnection, 'request'>,
): ServiceAccountTokenLookup {
  return {
    requestToken: (request) =>
      requestServiceAccountToken(connection, {
        namespace: request.namespace,
        serviceAccountName: request.serviceAccountName,
        audiences: [request.audience],
        expirationSeconds: request.expirationSeconds,
        boundPod: { name: request.podName, uid: request.podUid },
      }),
  };
}
