import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AzureIdentity, Pod } from '@podid/crd-types';
import { NmiError } from '../errors.js';
import type { IdentityRequest } from '../lookup/identity-request.js';
import { lookupManagedIdentity } from '../lookup/managed-identity-lookup.js';
import { lookupStandardIdentity } from '../lookup/standard-identity-lookup.js';
import type { TokenCacheEvent } from '../observability.js';
import type { IdentityTokenProvider } from '../token/identity-token-provider.js';
import type { ResolvedNmiOptions } from './nmi-server-options.js';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  /** Canonical caller IP, undefined when the socket address is not an IP. */
  readonly callerIp: string | undefined;
  /** Aborts when the client disconnects. Created on first read (see RequestAbort). */
  readonly signal: AbortSignal;
  /** True once the client has gone, without creating the signal. */
  readonly disconnected: boolean;
  readonly options: ResolvedNmiOptions;
  readonly tokens: IdentityTokenProvider;
}

/** What a token route did, for the request log and `nmi_operations_duration_seconds`. */
export interface RouteOutcome {
  status: number;
  resource?: string;
  podNamespace?: string;
  podName?: string;
  identity?: string;
  clientId?: string;
  cache?: TokenCacheEvent;
  errorCode?: string;
  message?: string;
}

export function identityRequestFrom(query: URLSearchParams): IdentityRequest {
  return {
    clientId: query.get('client_id') ?? '',
    resourceId: query.get('msi_res_id') || query.get('mi_res_id') || '',
  };
}

/** The identity the pod may use, by mode (§3.7 standard, §3.9 managed). Checked on every request, cache or not. */
export async function identityForPod(
  context: RouteContext,
  namespace: string,
  podName: string,
  knownPod: Pod | undefined,
  request: IdentityRequest,
): Promise<AzureIdentity> {
  const { options } = context;
  if (options.identities.mode === 'standard') {
    return lookupStandardIdentity(namespace, podName, request, {
      source: options.identities,
      clock: options.clock,
      retryAttemptsForCreated: options.retryAttemptsForCreated,
      retryAttemptsForAssigned: options.retryAttemptsForAssigned,
      retryIntervalMs: options.findIdentityRetryIntervalSeconds * 1000,
      forceNamespaced: options.forceNamespaced,
      get signal() {
        return context.signal;
      },
    });
  }
  const pod = knownPod ?? (await options.pods.podByName(namespace, podName));
  if (!pod) throw new NmiError('identity-not-found', `pod ${namespace}/${podName} not found on this node`);
  return lookupManagedIdentity(pod, request, options.identities);
}
