import type { SecretLookup } from '@podid/imds-proxy';
import { httpStatusOf, type KubeConnection } from '@podid/kube-client';

/**
 * The API server's own words for a failed read (`secrets "sp-secret" not found`), taken from the Status body.
 * The raw body may carry more than that; the text ends up in the pod's HTTP answer and NMI's log, so it is cut down
 * to the status message here.
 */
function apiServerMessage(error: unknown): string {
  const status = httpStatusOf(error);
  if (status === undefined) return error instanceof Error ? error.message : String(error);
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const message = (JSON.parse(body) as { message?: unknown }).message;
      if (typeof message === 'string' && message !== '') return message;
    } catch {
      // not a Status object
    }
  }
  return `the API server answered HTTP ${status}`;
}

/**
 * Service-principal secrets are read from the API server on every use, as upstream does (spec §3.10): NMI keeps
 * no copy of any secret in memory between requests and needs no watch permission on secrets.
 */
export function createSecretLookup(connection: Pick<KubeConnection, 'request'>): SecretLookup {
  return {
    async secretData(namespace, name) {
      let secret: { data?: Record<string, string> } | undefined;
      try {
        secret = await connection.request({
          method: 'GET',
          path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
        });
      } catch (error) {
        throw new Error(apiServerMessage(error), { cause: error });
      }
      const decoded: Record<string, Uint8Array> = {};
      for (const [key, value] of Object.entries(secret?.data ?? {})) {
        decoded[key] = new Uint8Array(Buffer.from(value, 'base64'));
      }
      return decoded;
    },
  };
}
