import type { KubeConnection } from '../connection/kube-connection.js';
import { describeError, httpStatusOf, KubeClientError } from '../errors.js';

/** The audience AAD expects on a federated client assertion. */
export const AZURE_AD_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface ServiceAccountTokenRequest {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly audiences: readonly string[];
  /** At least 600 (the API server refuses less). */
  readonly expirationSeconds: number;
  /**
   * The pod the token is bound to: the API server refuses the request when that pod does not exist, runs another
   * service account or has another uid, and the token stops being valid for the cluster once the pod is deleted.
   */
  readonly boundPod: { readonly name: string; readonly uid: string };
}

export interface ServiceAccountToken {
  /** The signed JWT. Never log it. */
  readonly token: string;
  /** Epoch milliseconds. */
  readonly expiresAtMs: number;
}

/**
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{sa}/token` (TokenRequest), bound to a pod. RBAC: `create` on
 * `serviceaccounts/token`. Failures are `KUBE_REQUEST_FAILED` with the API server's own message and status.
 */
export async function requestServiceAccountToken(
  connection: Pick<KubeConnection, 'request'>,
  request: ServiceAccountTokenRequest,
): Promise<ServiceAccountToken> {
  let answer: { status?: { token?: unknown; expirationTimestamp?: unknown } } | undefined;
  try {
    answer = await connection.request({
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/serviceaccounts/${encodeURIComponent(request.serviceAccountName)}/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: [...request.audiences],
          expirationSeconds: request.expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: request.boundPod.name, uid: request.boundPod.uid },
        },
      },
    });
  } catch (error) {
    const status = httpStatusOf(error);
    throw new KubeClientError(
      'KUBE_REQUEST_FAILED',
      `requesting a token for service account ${request.namespace}/${request.serviceAccountName} bound to pod ${request.boundPod.name}: ${describeError(error)}`,
      { ...(status !== undefined ? { statusCode: status } : {}), cause: error },
    );
  }
  const token = answer?.status?.token;
  const expiration = answer?.status?.expirationTimestamp;
  const expiresAtMs = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresAtMs)) {
    throw new KubeClientError(
      'KUBE_REQUEST_FAILED',
      `the API server answered the TokenRequest for ${request.namespace}/${request.serviceAccountName} without a token`,
    );
  }
  return { token, expiresAtMs };
}
