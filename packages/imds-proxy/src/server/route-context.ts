import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AzureIdentity, Pod } from '@podid/crd-types';
import { NmiError } from '../errors.js';
import type { IdentityRequest } from '../lookup/identity-request.js';
import type { SelectorQuery } from '../lookup/object-id-query.js';
import {
  lookupManagedIdentity,
  managedIdentityCandidates,
  managedIdentityIfReady,
} from '../lookup/managed-identity-lookup.js';
import {
  lookupStandardCandidates,
  lookupStandardIdentity,
  standardIdentityIfReady,
} from '../lookup/standard-identity-lookup.js';
import type { TokenCacheEvent } from '../observability.js';
import type { IdentityTokenProvider } from '../token/identity-token-provider.js';
import type { ResolvedNmiOptions } from './nmi-server-options.js';

/**
 * One token-route request. A class rather than an object literal so the per-request cost is one allocation; the
 * abort signal is created only when a slow path (retry sleep, upstream wait) reads it, because an
 * AbortController per request would cost more than the whole cached-token path.
 */
export class RouteContext {
  private controller: AbortController | undefined;
  private gone = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly query: SelectorQuery,
    /** Canonical caller IP, undefined when the socket address is not an IP. */
    readonly callerIp: string | undefined,
    readonly options: ResolvedNmiOptions,
    readonly tokens: IdentityTokenProvider,
  ) {}

  /** Aborts when the client disconnects. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.gone) this.controller.abort(new Error('client disconnected'));
    }
    return this.controller.signal;
  }

  /** True once the client has gone, without creating the signal. */
  get disconnected(): boolean {
    return this.gone;
  }

  clientDisconnected(): void {
    if (this.gone) return;
    this.gone = true;
    this.controller?.abort(new Error('client disconnected'));
  }
}

/** What a token route did, for the request log and `nmi_operations_duration_seconds`. */
export interface RouteOutcome {
  status: number;
  resource?: string;
  podNamespace?: string;
  podName?: string;
  identity?: string;
  /** Raw client ID; redacted when the log entry is built (only if a logger is set). */
  clientId?: string;
  cache?: TokenCacheEvent;
  errorCode?: string;
  message?: string;
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
  const identityLookup = options.identityLookup;
  if (identityLookup.mode === 'standard') {
    const pod = knownPod ?? (await options.pods.podByName(namespace, podName));
    return lookupStandardIdentity(namespace, podName, request, identityLookup.lookup, context, pod);
  }
  const pod = knownPod ?? (await options.pods.podByName(namespace, podName));
  if (!pod) throw new NmiError('identity-not-found', `pod ${namespace}/${podName} not found on this node`);
  return lookupManagedIdentity(pod, request, identityLookup.source);
}

/** Every identity the pod may use for this request, by mode (for the object ID selector: see object-id-selection). */
export async function candidateIdentitiesForPod(
  context: RouteContext,
  namespace: string,
  podName: string,
  knownPod: Pod | undefined,
  request: IdentityRequest,
): Promise<AzureIdentity[]> {
  const { options } = context;
  const identityLookup = options.identityLookup;
  if (identityLookup.mode === 'standard') {
    const pod = knownPod ?? (await options.pods.podByName(namespace, podName));
    return lookupStandardCandidates(namespace, podName, request, identityLookup.lookup, context, pod);
  }
  const pod = knownPod ?? (await options.pods.podByName(namespace, podName));
  if (!pod) throw new NmiError('identity-not-found', `pod ${namespace}/${podName} not found on this node`);
  return managedIdentityCandidates(pod, request, identityLookup.source);
}

/** How the request log and outcomes name an identity. */
export function identityLabel(identity: AzureIdentity): string {
  return `${identity.metadata.namespace}/${identity.metadata.name}`;
}

/** `identityForPod`'s immediate answer for a known pod, or undefined when the full lookup must run (see callers). */
export function identityForPodIfReady(
  context: RouteContext,
  pod: Pod,
  request: IdentityRequest,
): AzureIdentity | undefined {
  const identityLookup = context.options.identityLookup;
  return identityLookup.mode === 'standard'
    ? standardIdentityIfReady(pod.metadata.namespace, pod.metadata.name, request, identityLookup.lookup)
    : managedIdentityIfReady(pod, request, identityLookup.source);
}
