import type { SecretLookup } from '@podid/imds-proxy';
import type { KubeConnection } from '@podid/kube-client';

/**
 * Service-principal secrets are read from the API server on every use, as upstream does (spec §3.10): NMI keeps
 * no copy of any secret in memory between requests and needs no watch permission on secrets.
 */
export function createSecretLookup(connection: Pick<KubeConnection, 'core'>): SecretLookup {
  return {
    async secretData(namespace, name) {
      const secret = await connection.core.readNamespacedSecret({ name, namespace });
      const decoded: Record<string, Uint8Array> = {};
      for (const [key, value] of Object.entries(secret.data ?? {})) {
        decoded[key] = new Uint8Array(Buffer.from(value, 'base64'));
      }
      return decoded;
    },
  };
}
