import type { KubeEmulator } from '@podid/kube-emulator';
import type { ServiceAccountTokenLookup } from '../token/service-account-assertions.js';

/** The TokenRequest API of a running kube-emulator, over HTTP with its bearer token (what kube-client does in NMI). */
export function kubeTokenLookup(emulator: KubeEmulator): ServiceAccountTokenLookup & { requests: number } {
  const bearer = emulator.kubeconfig.users[0]!.user.token;
  const lookup = {
    requests: 0,
    async requestToken(request: Parameters<ServiceAccountTokenLookup['requestToken']>[0]) {
      lookup.requests++;
      const response = await fetch(
        `${emulator.url}/api/v1/namespaces/${request.namespace}/serviceaccounts/${request.serviceAccountName}/token`,
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              audiences: [request.audience],
              expirationSeconds: request.expirationSeconds,
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: request.podName, uid: request.podUid },
            },
          }),
        },
      );
      const body = (await response.json()) as {
        message?: string;
        status?: { token: string; expirationTimestamp: string };
      };
      if (response.status !== 201) {
        throw Object.assign(new Error(body.message ?? `HTTP ${response.status}`), { statusCode: response.status });
      }
      return { token: body.status!.token, expiresAtMs: new Date(body.status!.expirationTimestamp).getTime() };
    },
  };
  return lookup;
}
