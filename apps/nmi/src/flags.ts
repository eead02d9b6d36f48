import type { FlagDefinitions } from '@podid/go-flags';
import { loggingFlags, profilingFlags } from '@podid/observability/cli';

/**
 * NMI's command line: upstream v1.8.17's flags with their names and defaults (spec §3.12), plus podid's additions
 * (marked). Durations are milliseconds.
 */
export const nmiFlags = {
  version: { type: 'bool', default: false, description: 'print the version and exit' },
  'nmi-listen-address': { type: 'string', default: '127.0.0.1', description: 'address the token server listens on' },
  'nmi-port': { type: 'port', default: 2579, description: 'port the token server listens on' },
  'metadata-ip': { type: 'string', default: '169.254.169.254', description: 'IMDS address redirected to NMI' },
  'metadata-port': { type: 'port', default: 80, description: 'IMDS port redirected to NMI' },
  node: { type: 'string', default: '', description: 'name of this node (from spec.nodeName)' },
  'ipt-update-interval-sec': { type: 'int', default: 60, description: 'seconds between iptables resyncs' },
  forceNamespaced: {
    type: 'bool',
    default: false,
    description: 'serve identities only to pods in their own namespace (also FORCENAMESPACED=true)',
  },
  MICNamespace: { type: 'string', default: 'default', description: 'namespace of MIC, whose pods skip validation' },
  'http-probe-port': { type: 'port', default: 8080, description: 'port of the /healthz probe' },
  'retry-attempts-for-created': {
    type: 'int',
    default: 16,
    description: 'lookups while the identity is still being assigned',
  },
  'retry-attempts-for-assigned': { type: 'int', default: 4, description: 'lookups while no identity is found' },
  'find-identity-retry-interval': { type: 'int', default: 5, description: 'seconds between identity lookups' },
  ...profilingFlags,
  enableScaleFeatures: {
    type: 'bool',
    default: true,
    description: 'watch only the assigned identities of this node',
  },
  'block-instance-metadata': { type: 'bool', default: false, description: 'answer /metadata/instance with 403' },
  'metadata-header-required': { type: 'bool', default: true, description: 'require the Metadata: true header' },
  'prometheus-port': { type: 'port', default: 9090, description: 'port of /metrics' },
  'operation-mode': { type: 'string', default: 'standard', description: 'standard or managed' },
  'allow-network-plugin-kubenet': { type: 'bool', default: false, description: 'run even on a kubenet cluster' },
  'kubelet-config': {
    type: 'string',
    default: '/etc/default/kubelet',
    description: 'kubelet config inspected for kubenet',
  },
  'set-retry-after-header': {
    type: 'bool',
    default: false,
    description: 'answer lookup failures with 503 and Retry-After',
  },
  'enable-conntrack-deletion': {
    type: 'bool',
    default: false,
    description: 'delete conntrack entries to IMDS after the first iptables sync',
  },
  'custom-user-agent': { type: 'string', default: '', description: 'appended to the user agent of every request' },
  // podid additions
  kubeconfig: {
    type: 'string',
    default: '',
    description: 'podid: path to a kubeconfig (default: env KUBECONFIG, else in-cluster)',
  },
  'token-cache': { type: 'bool', default: true, description: 'podid: cache tokens per identity and resource' },
  'token-cache-size': { type: 'int', default: 1000, description: 'podid: most tokens kept in the cache' },
  'federated-identities': {
    type: 'bool',
    default: true,
    description:
      'podid: serve type-3 (federated) identities by exchanging the pod service-account token (needs create on serviceaccounts/token)',
  },
  'federated-authority-host': {
    type: 'string',
    default: 'https://login.microsoftonline.com/',
    description: "podid: AAD authority host for federated identities without spec.adEndpoint (the cloud's)",
  },
  'allowed-metadata-paths': {
    type: 'string',
    default: '',
    description: 'podid: comma-separated IMDS paths that may be proxied; when set, every other path is refused',
  },
  'max-concurrent-token-requests-per-pod': {
    type: 'int',
    default: 2,
    description: 'podid: upstream token calls in flight for one pod',
  },
  'max-waiting-requests-per-pod': {
    type: 'int',
    default: 100,
    description: 'podid: token requests one pod may have waiting (for MIC, an upstream call) before it gets 429',
  },
  'max-connections-per-pod': {
    type: 'int',
    default: 512,
    description: 'podid: connections one pod (source address) may hold open to NMI; more are closed at once',
  },
  'max-waiting-requests': {
    type: 'int',
    default: 5000,
    description: 'podid: token requests that may wait on this node at once before callers get 429',
  },
  'max-concurrent-token-requests': {
    type: 'int',
    default: 5,
    description: 'podid: upstream token calls in flight on this node (IMDS allows 5 per VM)',
  },
  'max-token-requests-per-second': {
    type: 'int',
    default: 20,
    description: 'podid: upstream token calls started per second on this node (IMDS allows 20 per VM); 0: no bound',
  },
  'imds-endpoint': {
    type: 'string',
    default: '',
    description: 'podid: base URL of the real IMDS (default http://<metadata-ip>:<metadata-port>)',
  },
  'manage-iptables': {
    type: 'bool',
    default: true,
    description: 'podid: install the IMDS redirect; false when something else redirects the traffic',
  },
  'termination-wait': {
    type: 'duration',
    default: 10_000,
    description: 'podid: pause between removing the redirect on SIGTERM and exiting (upstream: a fixed 10s)',
  },
  'error-format': {
    type: 'string',
    default: 'json',
    description:
      'podid: token-route error bodies: json (IMDS\'s {"error","error_description"}, upstream\'s text as the description) or text (upstream\'s plain text)',
  },
  'set-route-localnet': {
    type: 'bool',
    default: false,
    description: 'podid: enable net.ipv4.conf.all.route_localnet when the redirect target is 127.0.0.1',
  },
  'on-exit': {
    type: 'string',
    default: 'reject',
    description:
      'podid: what to leave on SIGTERM: reject (pods get connection refused until the next NMI), remove (upstream), keep',
  },
  'startup-taint': {
    type: 'string',
    default: 'podid.io/nmi-not-ready',
    description:
      'podid: taint key (optionally key:Effect, default effect NoSchedule) removed from this node once NMI serves; empty: none',
  },
  ...loggingFlags,
} as const satisfies FlagDefinitions;
