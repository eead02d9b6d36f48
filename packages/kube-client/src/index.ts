// Connection: config sources, podid's own REST transport, one request policy (user agent + client-side QPS) for every call
export { type ClientNodeKubeConfig, kubeConfigFromClientNode } from './connection/client-node-credentials.js';
export {
  createKubeConfig,
  type ExplicitServer,
  type KubeClientConfig,
  type KubeConfigSource,
  type RequestCredentials,
  type TlsSettings,
} from './connection/kube-config.js';
export {
  createKubeConnection,
  type HttpMethod,
  type KubeConnection,
  type KubeConnectionOptions,
  type KubeRequest,
  type KubeWatch,
  PatchType,
} from './connection/kube-connection.js';
export type { WatchDone, WatchEventHandler } from './connection/watch-stream.js';
export {
  createClientRateLimiter,
  DEFAULT_CLIENT_QPS,
  type RequestRateLimiter,
  TokenBucketRateLimiter,
  type TokenBucketOptions,
  unlimitedRateLimiter,
} from './connection/rate-limiter.js';
export { formatUserAgent, type PodidComponent, type UserAgentParts } from './connection/user-agent.js';

// Typed CRD clients
export { AssignedIdentityClient } from './crd/assigned-identity-client.js';
export { type CrdClients, createCrdClients } from './crd/crd-clients.js';
export {
  CustomResourceClient,
  type CustomResourceClientOptions,
  type JsonPatchOperation,
} from './crd/custom-resource-client.js';

// Informers
export { IndexedCache, type IndexFunction } from './informer/indexed-cache.js';
export {
  type InformerChange,
  ResilientInformer,
  type ResilientInformerOptions,
} from './informer/resilient-informer.js';
export {
  type AssignedIdentityIndex,
  type AssignedIdentityInformerOptions,
  createAssignedIdentityInformer,
  createAssignedIdentityTransform,
  createBindingInformer,
  createEmbeddedRefSharing,
  createExceptionInformer,
  createIdentityInformer,
  createNodeInformer,
  createPodInformer,
  createPodMatchingTransform,
  type InformerSettings,
  type NamespaceIndex,
  type NodeInformerOptions,
  nodeFieldsForMapping,
  type PodIndex,
  type PodInformerOptions,
  podFieldsForMatching,
  podIPs,
  podKey,
  withoutManagedFields,
} from './informer/typed-informers.js';
export { createValueSharing, type ValueSharing } from './informer/shared-values.js';

// Nodes
export {
  type NodeTaint,
  type RemoveNodeTaintOptions,
  type RemoveNodeTaintResult,
  removeNodeTaint,
} from './nodes/node-taints.js';

// Service-account tokens (TokenRequest), for federated identities
export {
  AZURE_AD_TOKEN_EXCHANGE_AUDIENCE,
  requestServiceAccountToken,
  type ServiceAccountToken,
  type ServiceAccountTokenRequest,
} from './service-accounts/service-account-token.js';

// Leader election
export {
  DEFAULT_LEASE_DURATION_MS,
  defaultLeaderIdentity,
  LeaderElector,
  type LeaderElectorOptions,
  type LeadershipEnd,
} from './leader-election/leader-elector.js';
export {
  formatMicroTime,
  type LeaderElectionRecord,
  type LeaderLock,
  LeaseLock,
  type ObservedLease,
} from './leader-election/lease-lock.js';

// Events and malformed objects
export {
  DEFAULT_EVENT_COMPONENT,
  EventReason,
  EventRecorder,
  type EventRecorderOptions,
  type EventType,
  type InvolvedObject,
  referenceTo,
} from './events/event-recorder.js';
export { createInvalidObjectReporter } from './events/invalid-object-reporter.js';
export type { InvalidObjectHandler, InvalidObjectReport, InvalidObjectSource } from './invalid-object.js';

// Shared plumbing
export { type Clock, type ClockTimer, systemClock } from './clock.js';
export {
  describeError,
  httpStatusOf,
  isConflict,
  isGone,
  isNotFound,
  KubeClientError,
  type KubeClientErrorCode,
} from './errors.js';
export { type KubeLogger, silentLogger } from './logger.js';
