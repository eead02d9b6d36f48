import { setMaxListeners } from 'node:events';
import type { AzureIdentity, Pod } from '@podid/crd-types';
import { DEFAULT_AD_ENDPOINT, IdentityType, identityTypeOf } from '@podid/crd-types';
import { NmiError, isNmiError } from '../errors.js';
import type { Clock, SecretLookup } from '../lookup/lookups.js';
import type { ImdsOperationType, NmiMetrics, TokenCacheEvent } from '../observability.js';
import type { AadTokenClient } from './aad-token-client.js';
import type { FairUpstreamLimiter } from './fair-upstream-limiter.js';
import type { ImdsTokenClient } from './imds-token-client.js';
import { type TokenSet, tokenSetOf } from './issued-token.js';
import { readServicePrincipalCredential } from './service-principal-secret.js';
import { type ServiceAccountAssertions, serviceAccountSubject } from './service-account-assertions.js';
import type { TokenCache } from './token-cache.js';

export interface IdentityTokenProviderOptions {
  readonly imds: ImdsTokenClient;
  readonly aad: AadTokenClient;
  readonly secrets: SecretLookup;
  /** Absent: every request goes upstream, as in aad-pod-identity. */
  readonly cache?: TokenCache;
  readonly limiter: FairUpstreamLimiter;
  readonly clock: Clock;
  readonly metrics?: NmiMetrics;
  /** Service-account tokens for federated identities (type 3); absent: such identities are refused. */
  readonly serviceAccountAssertions?: ServiceAccountAssertions;
  /** AAD authority host for federated identities without `spec.adEndpoint` (the cloud's; default public cloud). */
  readonly federatedAuthorityHost?: string;
}

export interface ProvidedTokens {
  readonly set: TokenSet;
  readonly cache: TokenCacheEvent;
}

/** Who is asking, for fairness: the pod's IP (token route) or `ns/name` (host route). */
export interface TokenCaller {
  readonly key: string;
  /** Read only when the caller has to wait (see RouteContext). */
  readonly abortable: { readonly signal: AbortSignal };
}

/**
 * Identity objects come from informer caches and are replaced, not mutated, on update: safe to memoise. Each
 * identity keeps its key prefix and the full key per resource, so a cache hit looks up the same string object every
 * time (no concatenation, no re-hashing); the per-identity map is bounded against a pod asking for endless resources.
 */
const identityKeys = new WeakMap<AzureIdentity, { prefix: string; byResource: Map<string, string> }>();
const KEYS_PER_IDENTITY = 64;
const MAX_REMEMBERED_RESOURCE_LENGTH = 256;

/**
 * Everything that decides which token AAD/IMDS would issue, plus, for service principals, WHICH CREDENTIAL obtains
 * it: the secret reference is part of the key. Without it, anyone who knows a service principal's clientID could
 * declare it in their own namespace (with a secret they do not have) and be served the tokens another namespace's
 * pods put in the cache with the real secret — a leak upstream NMI (no cache) never had.
 */
function identityCacheKey(identity: AzureIdentity, resource: string): string {
  let keys = identityKeys.get(identity);
  if (keys === undefined) {
    keys = { prefix: identityKeyPrefix(identity), byResource: new Map() };
    identityKeys.set(identity, keys);
  }
  let key = keys.byResource.get(resource);
  if (key === undefined) {
    key = `${keys.prefix}${resource}`;
    // Real resource URIs are short; a long one is keyed every time rather than remembered (bytes stay bounded).
    if (resource.length > MAX_REMEMBERED_RESOURCE_LENGTH) return key;
    if (keys.byResource.size >= KEYS_PER_IDENTITY) keys.byResource.clear();
    keys.byResource.set(resource, key);
  }
  return key;
}

function identityKeyPrefix(identity: AzureIdentity): string {
  const spec = identity.spec;
  return JSON.stringify([
    'identity',
    identityTypeOf(identity),
    (spec.clientID ?? '').toLowerCase(),
    (spec.resourceID ?? '').toLowerCase(),
    identityTypeOf(identity) === 0 ? '' : (spec.tenantID ?? '').toLowerCase(),
    identityTypeOf(identity) === 1 ? (spec.auxiliaryTenantIDs ?? []).map((t) => t.toLowerCase()) : [],
    identityTypeOf(identity) === 0 ? '' : (spec.adEndpoint ?? ''),
    identityTypeOf(identity) === 0 ? '' : `${spec.clientPassword?.namespace ?? ''}/${spec.clientPassword?.name ?? ''}`,
  ]);
}

function isSupportedType(type: number): boolean {
  return (
    type === IdentityType.UserAssignedMSI ||
    type === IdentityType.ServicePrincipal ||
    type === IdentityType.ServicePrincipalCertificate ||
    type === IdentityType.FederatedIdentity
  );
}

/**
 * A federated identity's token depends on which service account's token is exchanged (each subject matches its own
 * federated credential, or none): the subject is part of the key, so pods of another service account never share it.
 */
function federatedCacheKey(identity: AzureIdentity, resource: string, pod: Pod): string {
  return `${identityCacheKey(identity, resource)}\u0000${serviceAccountSubject(pod)}`;
}

const NEVER_ABORTED = new AbortController().signal;
// Every shared upstream call in flight listens on it (and stops when done): as many as the concurrency bound allows.
setMaxListeners(0, NEVER_ABORTED);

/** Waits for a shared upstream call, but lets this caller leave early when its client disconnects. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** §3.10: tokens for an identity (types 0, 1, 2) or for the node itself (exception pods), through the cache. */
export class IdentityTokenProvider {
  constructor(private readonly options: IdentityTokenProviderOptions) {}

  /** `pod` is the caller's pod: a federated identity (type 3) exchanges that pod's service-account token. */
  async forIdentity(
    identity: AzureIdentity,
    resource: string,
    caller: TokenCaller,
    pod?: Pod,
  ): Promise<ProvidedTokens> {
    const { key, operation, acquire } = this.identityFetch(identity, resource, pod);
    return this.viaCache(key, caller, operation, acquire);
  }

  /**
   * The cached tokens `forIdentity` would answer with at once, or undefined (cache off, miss, too close to expiry,
   * unsupported type). Synchronous, for the fast path; a hit inside the refresh-ahead window still starts the
   * background refresh, charged to `callerKey` as `forIdentity` would.
   */
  peekIdentity(identity: AzureIdentity, resource: string, callerKey: string, pod?: Pod): ProvidedTokens | undefined {
    if (!this.options.cache || !isSupportedType(identityTypeOf(identity))) return undefined;
    if (identityTypeOf(identity) === IdentityType.FederatedIdentity && pod === undefined) return undefined;
    const { key, operation, acquire } = this.identityFetch(identity, resource, pod);
    return this.peekCached(key, callerKey, operation, acquire);
  }

  private identityFetch(
    identity: AzureIdentity,
    resource: string,
    pod: Pod | undefined,
  ): { key: string; operation: ImdsOperationType; acquire: (signal: AbortSignal) => Promise<TokenSet> } {
    const type = identityTypeOf(identity);
    if (!isSupportedType(type)) {
      throw new NmiError('unsupported-identity-type', `unsupported identity type ${type}`);
    }
    if (type === IdentityType.FederatedIdentity) return this.federatedFetch(identity, resource, pod);
    const clientId = identity.spec.clientID ?? '';
    if (type === IdentityType.UserAssignedMSI && clientId.trim() === '') {
      // IMDS answers a token request without a selector with the VM's own (system-assigned) identity: a pod must
      // never be handed that because its AzureIdentity forgot to name one. Exception pods have their own path.
      throw new NmiError(
        'identity-invalid',
        `azure identity ${identity.metadata.namespace}/${identity.metadata.name} is invalid: a user-assigned identity (type 0) needs spec.clientID`,
      );
    }
    return {
      key: identityCacheKey(identity, resource),
      operation: type === IdentityType.UserAssignedMSI ? 'adal_token_msi_userassignedid' : 'adal_token',
      acquire: (signal) =>
        type === IdentityType.UserAssignedMSI
          ? this.imdsToken(clientId, resource, signal)
          : this.servicePrincipalTokens(identity, resource),
    };
  }

  private federatedFetch(
    identity: AzureIdentity,
    resource: string,
    pod: Pod | undefined,
  ): { key: string; operation: ImdsOperationType; acquire: (signal: AbortSignal) => Promise<TokenSet> } {
    const assertions = this.options.serviceAccountAssertions;
    const name = `${identity.metadata.namespace}/${identity.metadata.name}`;
    if (assertions === undefined) {
      throw new NmiError(
        'unsupported-identity-type',
        `azure identity ${name} is a federated identity (type 3), which this NMI is not configured to serve`,
      );
    }
    const { clientID, tenantID } = identity.spec;
    if (!clientID?.trim() || !tenantID?.trim()) {
      throw new NmiError(
        'identity-invalid',
        `azure identity ${name} is invalid: a federated identity (type 3) needs spec.clientID and spec.tenantID`,
      );
    }
    if (pod === undefined) {
      throw new NmiError(
        'identity-invalid',
        `azure identity ${name} is a federated identity and needs the calling pod`,
      );
    }
    const authorityHost = identity.spec.adEndpoint || this.options.federatedAuthorityHost || DEFAULT_AD_ENDPOINT;
    return {
      key: federatedCacheKey(identity, resource, pod),
      operation: 'adal_token',
      acquire: async () => {
        // Fetched before the exchange so that the API server refusing it (pod gone, uid changed) keeps its own error.
        const assertion = await assertions.forPod(pod);
        return tokenSetOf([
          await this.options.aad.getToken({
            authorityHost,
            tenantId: tenantID,
            clientId: clientID,
            credential: { kind: 'assertion', getAssertion: async () => assertion },
            resource,
          }),
        ]);
      },
    };
  }

  /**
   * Excepted and MIC pods: the identity they name by client_id (or object_id: IMDS itself then selects), else the
   * VM's system-assigned identity.
   */
  async forNode(clientId: string, resource: string, caller: TokenCaller, objectId = ''): Promise<ProvidedTokens> {
    const operation: ImdsOperationType = clientId || objectId ? 'adal_token_msi_userassignedid' : 'adal_token_msi';
    const key = JSON.stringify(['node', clientId.toLowerCase(), objectId.toLowerCase(), resource]);
    return this.viaCache(key, caller, operation, (signal) => this.imdsToken(clientId, resource, signal, objectId));
  }

  private async viaCache(
    key: string,
    caller: TokenCaller,
    operation: ImdsOperationType,
    acquire: (signal: AbortSignal) => Promise<TokenSet>,
  ): Promise<ProvidedTokens> {
    const { cache, limiter } = this.options;
    if (!cache) {
      const set = await limiter.run(
        caller.key,
        () => this.measured(operation, () => acquire(caller.abortable.signal)),
        caller.abortable.signal,
      );
      this.options.metrics?.tokenCache?.('bypass');
      return { set, cache: 'bypass' };
    }
    const hit = this.peekCached(key, caller.key, operation, acquire);
    if (hit) return hit;
    const fetch = this.sharedFetch(caller.key, operation, acquire);
    const { value, outcome } = await untilAborted(cache.get(key, fetch), caller.abortable.signal);
    this.options.metrics?.tokenCache?.(outcome);
    return { set: value, cache: outcome };
  }

  private peekCached(
    key: string,
    callerKey: string,
    operation: ImdsOperationType,
    acquire: (signal: AbortSignal) => Promise<TokenSet>,
  ): ProvidedTokens | undefined {
    const hit = this.options.cache?.peek(key, this.sharedFetch(callerKey, operation, acquire));
    if (!hit) return undefined;
    this.options.metrics?.tokenCache?.('hit');
    return { set: hit, cache: 'hit' };
  }

  /** The shared call must outlive the first caller: others may be waiting on it, so it gets no request signal. */
  private sharedFetch(
    callerKey: string,
    operation: ImdsOperationType,
    acquire: (signal: AbortSignal) => Promise<TokenSet>,
  ): () => Promise<TokenSet> {
    return () => this.options.limiter.run(callerKey, () => this.measured(operation, () => acquire(NEVER_ABORTED)));
  }

  private async measured<T>(operation: ImdsOperationType, call: () => Promise<T>): Promise<T> {
    const started = this.options.clock.now();
    try {
      return await call();
    } catch (error) {
      this.options.metrics?.imdsOperationError(operation);
      throw error;
    } finally {
      this.options.metrics?.imdsOperation(operation, Math.max(0, this.options.clock.now() - started) / 1000);
    }
  }

  private async imdsToken(clientId: string, resource: string, signal: AbortSignal, objectId = ''): Promise<TokenSet> {
    const token = await this.options.imds.getToken(
      { resource, ...(clientId ? { clientId } : {}), ...(objectId ? { objectId } : {}) },
      signal,
    );
    return tokenSetOf([token]);
  }

  private async servicePrincipalTokens(identity: AzureIdentity, resource: string): Promise<TokenSet> {
    let credential: Awaited<ReturnType<typeof readServicePrincipalCredential>>;
    try {
      credential = await readServicePrincipalCredential(identity, this.options.secrets);
    } catch (error) {
      if (isNmiError(error) && error.code === 'secret-unreadable') {
        this.options.metrics?.kubernetesApiOperationError('get_secret');
      }
      throw error;
    }
    const spec = identity.spec;
    const authorityHost = spec.adEndpoint || DEFAULT_AD_ENDPOINT;
    // Multi-tenant (type 1 only, as upstream): primary tenant first, then each auxiliary tenant.
    const tenants = [spec.tenantID ?? '', ...(identityTypeOf(identity) === 1 ? (spec.auxiliaryTenantIDs ?? []) : [])];
    const tokens = await Promise.all(
      tenants.map((tenantId) =>
        this.options.aad.getToken({ authorityHost, tenantId, clientId: spec.clientID ?? '', credential, resource }),
      ),
    );
    return tokenSetOf(tokens);
  }
}
