export { createNmiServer, type NmiServer } from './server/nmi-server.js';
export { isInRequestScope } from './request-scope.js';
export type { NmiServerOptions, RefusedRequest, TokenCacheSettings } from './server/nmi-server-options.js';
export type {
  Clock,
  ExceptionLookup,
  IdentitySource,
  ManagedIdentitySource,
  MaybePromise,
  PodLookup,
  SecretLookup,
  StandardIdentitySource,
} from './lookup/lookups.js';
export { isImmediate } from './lookup/lookups.js';
export { systemClock } from './lookup/system-clock.js';
export type {
  ImdsOperationType,
  KubernetesOperationType,
  NmiMetrics,
  NmiOperationLabels,
  RequestLogEntry,
  RequestLogger,
  TokenCacheEvent,
} from './observability.js';
export { NmiError, type NmiErrorCode, isNmiError } from './errors.js';
export {
  parseRequestTarget,
  nonCanonicalPathReason,
  isAllowedPath,
  parseAllowedPaths,
  type ParsedTarget,
  type CanonicalTarget,
  type RefusedTarget,
  type TargetRoute,
} from './routing/request-target.js';
export { canonicalCallerIp } from './routing/caller-address.js';
export { boundedMemo, type BoundedMemoOptions } from './routing/bounded-memo.js';
export { TokenCache, type TokenCacheOptions, type CacheOutcome } from './token/token-cache.js';
export { FairUpstreamLimiter, type FairUpstreamLimiterOptions, type RateTimer } from './token/fair-upstream-limiter.js';
export { createAadNetworkClient, type AadNetworkClientOptions } from './token/aad-network-client.js';
export { parsePfxCertificate, type ClientCertificate } from './token/pfx-certificate.js';
export { chooseClientSecret } from './token/service-principal-secret.js';
export type { IssuedToken, TokenSet } from './token/issued-token.js';
export {
  type ServiceAccountTokenLookup,
  type ServiceAccountTokenRequest,
  serviceAccountSubject,
  TOKEN_EXCHANGE_AUDIENCE,
} from './token/service-account-assertions.js';
