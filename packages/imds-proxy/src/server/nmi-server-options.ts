import type { INetworkModule } from '@azure/msal-node';
import type {
  Clock,
  ExceptionLookup,
  IdentitySource,
  ManagedIdentitySource,
  PodLookup,
  SecretLookup,
} from '../lookup/lookups.js';
import type { NmiMetrics, RequestLogger } from '../observability.js';
import type { ResolveCallerPodOptions } from '../lookup/resolve-caller-pod.js';
import type { StandardLookupOptions } from '../lookup/standard-identity-lookup.js';
import type { ErrorFormat } from './http-answers.js';
import type { FairUpstreamLimiterOptions } from '../token/fair-upstream-limiter.js';
import type { ServiceAccountTokenLookup } from '../token/service-account-assertions.js';

export interface TokenCacheSettings {
  readonly maxEntries?: number;
  readonly maxBytes?: number;
  readonly minRemainingMs?: number;
  readonly refreshAheadMs?: number;
}

export interface NmiServerOptions {
  readonly pods: PodLookup;
  readonly exceptions: ExceptionLookup;
  /** Standard (AzureAssignedIdentity) or managed (bindings + identities) lookups. */
  readonly identities: IdentitySource;
  readonly secrets: SecretLookup;
  /**
   * For federated identities (type 3): the TokenRequest API, to get each calling pod's own service-account token.
   * Absent: type-3 identities are answered with 503 "not configured".
   */
  readonly serviceAccountTokens?: ServiceAccountTokenLookup;
  /** For federated identities without `spec.adEndpoint`: the cloud's AAD authority host (default public cloud). */
  readonly federatedAuthorityHost?: string;
  /** NMI's own route to IMDS (`--metadata-ip`/`--metadata-port`), e.g. `http://169.254.169.254:80`. */
  readonly imdsBaseUrl: string;
  /** For service principals: extra CA certificates (PEM) trusted for `spec.adEndpoint`. */
  readonly aadCa?: string | readonly string[];
  /** For service principals: a complete msal-node network client (wins over `aadCa`). */
  readonly aadNetworkClient?: INetworkModule;
  /** `--forceNamespaced`. Always true in managed mode. */
  readonly forceNamespaced?: boolean;
  /** `--MICNamespace` (default `default`). */
  readonly micNamespace?: string;
  /** `--metadata-header-required` (default true). */
  readonly metadataHeaderRequired?: boolean;
  /** `--block-instance-metadata` (default false). */
  readonly blockInstanceMetadata?: boolean;
  /**
   * podid `--error-format`: how the token routes write their error answers. `json` (default): IMDS's
   * `{"error","error_description"}` with upstream's text as the description; `text`: upstream's plain text.
   */
  readonly errorFormat?: ErrorFormat;
  /** `--set-retry-after-header` (default false). */
  readonly setRetryAfterHeader?: boolean;
  /** `--retry-attempts-for-created` (default 16). */
  readonly retryAttemptsForCreated?: number;
  /** `--retry-attempts-for-assigned` (default 4). */
  readonly retryAttemptsForAssigned?: number;
  /** `--find-identity-retry-interval` in seconds (default 5). */
  readonly findIdentityRetryIntervalSeconds?: number;
  /** Pod-by-IP lookups (default 5, i.e. 4 retries) and their spacing (default 300 ms) (§3.4). */
  readonly podLookupAttempts?: number;
  readonly podLookupRetryIntervalMs?: number;
  /**
   * When set, only these IMDS paths (and paths below them, by whole segments) are passed through; everything else
   * gets 403. Each entry must be a canonical path (see `parseRequestTarget`); compared case-insensitively.
   * Unset: every canonical path is passed through, as upstream.
   */
  readonly allowedMetadataPaths?: readonly string[];
  /** `false` restores upstream's behaviour (every request goes to IMDS/AAD). Default: on. */
  readonly tokenCache?: false | TokenCacheSettings;
  readonly upstreamConcurrency?: FairUpstreamLimiterOptions;
  /**
   * Token-route requests that may wait at once (for MIC, a pod, an upstream call) per calling pod (default 100) and
   * on the node (default 5000); beyond, 429 with `Retry-After`. Cached answers never wait and are not counted.
   */
  readonly maxWaitingRequestsPerPod?: number;
  readonly maxWaitingRequests?: number;
  /** Connections one caller address may hold open at once (default 512); more are closed at once. */
  readonly maxConnectionsPerPod?: number;
  /** Seconds announced in `Retry-After` when the upstream queue or the waiting bound is full (default 1). */
  readonly queueFullRetryAfterSeconds?: number;
  /** IMDS attempts per token (default 5) and first backoff (default 1000 ms, doubling). */
  readonly imdsMaxAttempts?: number;
  readonly imdsRetryDelayMs?: number;
  readonly userAgent?: string;
  readonly clock?: Clock;
  readonly metrics?: NmiMetrics;
  readonly onRequest?: RequestLogger;
  /** A request refused before routing (400): its target is not in canonical form. Never holds the target itself. */
  readonly onRefusedRequest?: (refusal: RefusedRequest) => void;
  /** A request handler threw; the request got a 500 and the server kept serving. */
  readonly onHandlerError?: (error: unknown) => void;
}

export interface RefusedRequest {
  readonly remote: string;
  readonly reason: string;
}

/** Options with every default applied. */
export interface ResolvedNmiOptions extends NmiServerOptions {
  readonly forceNamespaced: boolean;
  readonly micNamespace: string;
  readonly metadataHeaderRequired: boolean;
  readonly blockInstanceMetadata: boolean;
  readonly setRetryAfterHeader: boolean;
  readonly errorFormat: ErrorFormat;
  readonly retryAttemptsForCreated: number;
  readonly retryAttemptsForAssigned: number;
  readonly findIdentityRetryIntervalSeconds: number;
  readonly podLookupAttempts: number;
  readonly podLookupRetryIntervalMs: number;
  readonly queueFullRetryAfterSeconds: number;
  readonly maxWaitingRequestsPerPod: number;
  readonly maxWaitingRequests: number;
  readonly maxConnectionsPerPod: number;
  readonly clock: Clock;
  /** Built once per server, shared by every request. */
  readonly podResolution: ResolveCallerPodOptions;
  readonly identityLookup:
    | { readonly mode: 'standard'; readonly lookup: StandardLookupOptions }
    | { readonly mode: 'managed'; readonly source: ManagedIdentitySource };
}
