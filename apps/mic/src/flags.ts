import type { FlagDefinitions } from '@podid/go-flags';
import { loggingFlags, profilingFlags } from '@podid/observability/cli';

/**
 * MIC's command line: upstream v1.8.17's flags with their names and defaults (spec §2.15), plus podid's additions.
 * Durations are milliseconds.
 */
export const micFlags = {
  kubeconfig: { type: 'string', default: '', description: 'path to a kubeconfig; empty means in-cluster' },
  cloudconfig: {
    type: 'string',
    default: '',
    description: 'path to the cloud config (azure.json); empty means the CLOUD, TENANT_ID, ... environment variables',
  },
  forceNamespaced: {
    type: 'bool',
    default: false,
    description: 'bind identities only to pods in their own namespace (also FORCENAMESPACED=true)',
  },
  version: { type: 'bool', default: false, description: 'print the version and exit' },
  syncRetryDuration: { type: 'duration', default: 3_600_000, description: 'period of a full sync cycle' },
  'leader-election-instance': {
    type: 'string',
    default: '',
    description: 'this replica’s identity in the election (default: the host name)',
  },
  'leader-election-namespace': { type: 'string', default: 'default', description: 'namespace of the election Lease' },
  'leader-election-name': {
    type: 'string',
    default: 'aad-pod-identity-mic',
    description: 'name of the election Lease',
  },
  'leader-election-duration': {
    type: 'duration',
    default: 15_000,
    description: 'lease duration; renew deadline is half of it, retry period a quarter',
  },
  'http-probe-port': { type: 'port', default: 8080, description: 'port of the /healthz probe' },
  'prometheus-port': { type: 'port', default: 8888, description: 'port of /metrics' },
  ...profilingFlags,
  enableScaleFeatures: {
    type: 'bool',
    default: false,
    description: 'accepted for compatibility; no effect on MIC',
    deprecated: 'no effect on MIC',
  },
  createDeleteBatch: {
    type: 'int',
    default: 20,
    description: 'most AzureAssignedIdentity writes in flight at once, in total (as upstream)',
  },
  clientQps: { type: 'float', default: 5, description: 'Kubernetes client QPS and burst' },
  'immutable-user-msis': {
    type: 'string',
    default: '',
    description: 'comma-separated client IDs of identities that are never unassigned',
  },
  'config-map-name': {
    type: 'string',
    default: 'aad-pod-identity-config',
    description: 'ConfigMap recording the type upgrade',
  },
  'type-upgrade-status-key': { type: 'string', default: 'type-upgrade-status', description: 'key in that ConfigMap' },
  'enable-type-upgrade': { type: 'bool', default: true, description: 'rewrite legacy capitalised objects once' },
  'update-user-msi-max-retry': {
    type: 'int',
    default: 2,
    description: 'retries of an ARM identity update after dropping invalid identities',
  },
  'update-user-msi-retry-interval': {
    type: 'duration',
    default: 1000,
    description: 'wait between those retries',
  },
  'identity-assignment-reconcile-interval': {
    type: 'duration',
    default: 180_000,
    description: 'period of re-adding assigned identities missing from VMs/VMSSs',
  },
  'custom-user-agent': { type: 'string', default: '', description: 'appended to the user agent of every request' },
  // podid additions
  'arm-poll-interval': {
    type: 'duration',
    default: 5000,
    description: 'podid: how often a pending ARM identity update is polled (upstream: 5s)',
  },
  'sync-debounce': {
    type: 'duration',
    default: 100,
    description: 'podid: how long a burst of events is gathered into one cycle',
  },
  'manage-federated-credentials': {
    type: 'bool',
    default: false,
    description:
      'podid: create and delete the federated identity credentials type-3 identities with a resourceID need (one per namespace and service account in use); needs --oidc-issuer-url',
  },
  'oidc-issuer-url': {
    type: 'string',
    default: '',
    description:
      "podid: the cluster's service-account issuer URL (AKS: oidcIssuerProfile.issuerUrl), the credentials' issuer",
  },
  ...loggingFlags,
} as const satisfies FlagDefinitions;
