import { nonCanonicalPathReason } from '@podid/imds-proxy/routing';
import net from 'node:net';
import { isLogFormat, type LogFormat } from '@podid/observability/cli';
import { deepFreeze, type FlagValues, invalidFlagValue as invalid, parseGoFlags } from '@podid/go-flags';
import { nmiFlags } from './flags.js';

export type OperationMode = 'standard' | 'managed';

/** `--on-exit`: what NMI leaves in iptables when it stops on SIGTERM/SIGINT. */
export type OnExitMode = 'reject' | 'remove' | 'keep';
export const ON_EXIT_MODES: readonly OnExitMode[] = ['reject', 'remove', 'keep'];

/** The taint effects Kubernetes knows. */
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
// A qualified name with an optional DNS-subdomain prefix, as Kubernetes validates taint keys.
const TAINT_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export interface StartupTaint {
  readonly key: string;
  readonly effect: (typeof TAINT_EFFECTS)[number];
}

/** Parses `--startup-taint` (`key` or `key:Effect`); `undefined` for empty (disabled), a string for an error. */
export function parseStartupTaint(text: string): StartupTaint | undefined | string {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const [key = '', effect = 'NoSchedule', ...extra] = trimmed.split(':');
  if (extra.length > 0 || !TAINT_KEY.test(key))
    return 'must be a taint key such as podid.io/nmi-not-ready[:NoSchedule]';
  if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) {
    return `unknown taint effect ${JSON.stringify(effect)} (NoSchedule, PreferNoSchedule or NoExecute)`;
  }
  return { key, effect: effect as StartupTaint['effect'] };
}

/** Everything NMI needs from its command line and environment, parsed once and frozen. Durations in ms. */
export interface NmiConfig {
  readonly nodeName: string;
  readonly operationMode: OperationMode;
  /** `--forceNamespaced` or env `FORCENAMESPACED` exactly `"true"`. */
  readonly namespaced: boolean;
  readonly micNamespace: string;
  readonly kubeconfigPath: string | undefined;
  readonly listen: { readonly address: string; readonly port: number };
  readonly metadata: { readonly ip: string; readonly port: number };
  /** Where iptables sends redirected traffic: the listen address, or 127.0.0.1 when listening on all addresses. */
  readonly redirectTarget: { readonly ip: string; readonly port: number };
  /** Base URL of the real IMDS that NMI asks for managed-identity tokens and proxies to. */
  readonly imdsEndpoint: string;
  readonly iptables: {
    readonly manage: boolean;
    readonly updateIntervalMs: number;
    readonly conntrackDeletion: boolean;
    readonly allowKubenet: boolean;
    readonly kubeletConfigPath: string;
    readonly setRouteLocalnet: boolean;
    /** `--on-exit`: reject (podid default), remove (upstream) or keep the DNAT. */
    readonly onExit: OnExitMode;
  };
  /** `--startup-taint`: removed from this node once NMI serves; `undefined` when disabled. */
  readonly startupTaint: StartupTaint | undefined;
  readonly lookup: {
    readonly retryAttemptsForCreated: number;
    readonly retryAttemptsForAssigned: number;
    readonly retryIntervalMs: number;
    /** `--enableScaleFeatures`: watch only this node's assigned identities (label `nodename`). */
    readonly watchOnlyThisNode: boolean;
  };
  readonly blockInstanceMetadata: boolean;
  readonly metadataHeaderRequired: boolean;
  readonly setRetryAfterHeader: boolean;
  /** `--error-format`: token-route error bodies as IMDS JSON (default) or upstream's plain text. */
  readonly errorFormat: 'json' | 'text';
  readonly tokenCache: { readonly enabled: boolean; readonly maxEntries: number };
  /** Type-3 identities: served (TokenRequest + exchange at `authorityHost`) or refused as not configured. */
  readonly federated: { readonly enabled: boolean; readonly authorityHost: string };
  /** Token-route requests that may wait at once, per pod and on the node (beyond: 429). */
  readonly waitingRequests: { readonly perPod: number; readonly total: number };
  /** Connections one source address may hold open (beyond: closed at once). */
  readonly maxConnectionsPerPod: number;
  /** When set, only these paths are proxied to IMDS; everything else is refused. */
  readonly allowedMetadataPaths: readonly string[] | undefined;
  readonly upstreamConcurrency: { readonly perPod: number; readonly total: number; readonly perSecond: number };
  readonly httpProbePort: number;
  readonly prometheusPort: number;
  readonly logFormat: LogFormat;
  readonly logVerbosity: number;
  readonly customUserAgent: string;
  /** `--termination-wait`: pause between removing the redirect and exiting on SIGTERM (upstream: 10 s). */
  readonly terminationWaitMs: number;
}

export type NmiConfigOutcome =
  | { readonly kind: 'ok'; readonly config: NmiConfig }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  /** Bad flags or environment: print `message` and exit 2. */
  | { readonly kind: 'error'; readonly message: string };

export interface NmiConfigInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Upstream's exact text (including its spelling) when managed mode runs without namespaced mode (spec §0.2). */
export const MANAGED_WITHOUT_NAMESPACED_MESSAGE = 'managed mode not intialized in force namespaced mode';

function checkValues(values: FlagValues<typeof nmiFlags>): string | undefined {
  if (values.node.trim() === '') return invalid('node', values.node, 'the node name is required (use $(NODE_NAME))');
  if (net.isIPv4(values['metadata-ip']) === false) {
    return invalid('metadata-ip', values['metadata-ip'], 'must be an IPv4 address');
  }
  if (!isHttpsUrl(values['federated-authority-host'])) {
    return invalid('federated-authority-host', values['federated-authority-host'], 'must be an https:// URL');
  }
  if (net.isIP(values['nmi-listen-address']) === 0) {
    return invalid('nmi-listen-address', values['nmi-listen-address'], 'must be an IP address');
  }
  const atLeastOne = [
    'ipt-update-interval-sec',
    'retry-attempts-for-created',
    'retry-attempts-for-assigned',
    'token-cache-size',
    'max-concurrent-token-requests-per-pod',
    'max-concurrent-token-requests',
    'max-waiting-requests-per-pod',
    'max-waiting-requests',
    'max-connections-per-pod',
  ] as const;
  for (const flag of atLeastOne) {
    if (values[flag] < 1) return invalid(flag, values[flag], 'must be at least 1');
  }
  const notNegative = ['max-token-requests-per-second', 'find-identity-retry-interval', 'termination-wait'] as const;
  for (const flag of notNegative) {
    if (values[flag] < 0) return invalid(flag, values[flag], 'must not be negative');
  }
  if (!isLogFormat(values['log-format'])) {
    return invalid('log-format', values['log-format'], 'unknown logging format');
  }
  if (values['error-format'] !== 'json' && values['error-format'] !== 'text') {
    return invalid('error-format', values['error-format'], 'must be json or text');
  }
  if (!(ON_EXIT_MODES as readonly string[]).includes(values['on-exit'])) {
    return invalid('on-exit', values['on-exit'], 'must be reject, remove or keep');
  }
  const taint = parseStartupTaint(values['startup-taint']);
  if (typeof taint === 'string') return invalid('startup-taint', values['startup-taint'], taint);
  if (values['imds-endpoint'] !== '' && !URL.canParse(values['imds-endpoint'])) {
    return invalid('imds-endpoint', values['imds-endpoint'], 'must be a URL such as http://169.254.169.254');
  }
  return undefined;
}

/** Parses NMI's command line and environment. Never exits and never prints. */
export function loadNmiConfig(input: NmiConfigInput): NmiConfigOutcome {
  const outcome = parseGoFlags(nmiFlags, input.argv, {
    name: 'nmi',
    summary: 'podid Node Managed Identity: serves each pod on this node a token for its own Azure identity',
  });
  if (outcome.kind !== 'ok') return outcome;
  const values = outcome.values;
  if (values.version) return { kind: 'version' };
  const problem = checkValues(values);
  if (problem) return { kind: 'error', message: problem };

  const operationMode = values['operation-mode'].toLowerCase();
  if (operationMode !== 'standard' && operationMode !== 'managed') {
    return { kind: 'error', message: `operation mode ${values['operation-mode']} not supported` };
  }
  const namespaced = values.forceNamespaced || input.env['FORCENAMESPACED'] === 'true';
  if (operationMode === 'managed' && !namespaced) {
    return { kind: 'error', message: MANAGED_WITHOUT_NAMESPACED_MESSAGE };
  }

  const listenAddress = values['nmi-listen-address'];
  const allowedPaths = values['allowed-metadata-paths']
    .split(',')
    .map((path) => path.trim())
    .filter((path) => path !== '');
  for (const path of allowedPaths) {
    // NMI only ever forwards canonical paths, so an entry in another spelling could never match what its writer meant.
    const problem = nonCanonicalPathReason(path);
    if (problem)
      return { kind: 'error', message: invalid('allowed-metadata-paths', path, `not a canonical path (${problem})`) };
  }
  const config: NmiConfig = {
    nodeName: values.node,
    operationMode,
    namespaced,
    micNamespace: values.MICNamespace,
    kubeconfigPath: values.kubeconfig || input.env['KUBECONFIG'] || undefined,
    listen: { address: listenAddress, port: values['nmi-port'] },
    metadata: { ip: values['metadata-ip'], port: values['metadata-port'] },
    // Upstream: listening on 0.0.0.0 still redirects to 127.0.0.1 (spec §3.12).
    redirectTarget: {
      ip: listenAddress === '0.0.0.0' || listenAddress === '::' ? '127.0.0.1' : listenAddress,
      port: values['nmi-port'],
    },
    imdsEndpoint: values['imds-endpoint'] || `http://${values['metadata-ip']}:${values['metadata-port']}`,
    iptables: {
      manage: values['manage-iptables'],
      updateIntervalMs: values['ipt-update-interval-sec'] * 1000,
      conntrackDeletion: values['enable-conntrack-deletion'],
      allowKubenet: values['allow-network-plugin-kubenet'],
      kubeletConfigPath: values['kubelet-config'],
      setRouteLocalnet: values['set-route-localnet'],
      onExit: values['on-exit'] as OnExitMode, // checked above
    },
    startupTaint: parseStartupTaint(values['startup-taint']) as StartupTaint | undefined, // checked above
    lookup: {
      retryAttemptsForCreated: values['retry-attempts-for-created'],
      retryAttemptsForAssigned: values['retry-attempts-for-assigned'],
      retryIntervalMs: values['find-identity-retry-interval'] * 1000,
      watchOnlyThisNode: values.enableScaleFeatures,
    },
    blockInstanceMetadata: values['block-instance-metadata'],
    metadataHeaderRequired: values['metadata-header-required'],
    setRetryAfterHeader: values['set-retry-after-header'],
    errorFormat: values['error-format'] as 'json' | 'text', // checked above
    tokenCache: { enabled: values['token-cache'], maxEntries: values['token-cache-size'] },
    federated: { enabled: values['federated-identities'], authorityHost: values['federated-authority-host'] },
    allowedMetadataPaths: allowedPaths.length > 0 ? allowedPaths : undefined,
    upstreamConcurrency: {
      perPod: values['max-concurrent-token-requests-per-pod'],
      total: values['max-concurrent-token-requests'],
      perSecond: values['max-token-requests-per-second'],
    },
    waitingRequests: { perPod: values['max-waiting-requests-per-pod'], total: values['max-waiting-requests'] },
    maxConnectionsPerPod: values['max-connections-per-pod'],
    httpProbePort: values['http-probe-port'],
    prometheusPort: values['prometheus-port'],
    logFormat: values['log-format'] as LogFormat, // checked by isLogFormat above
    logVerbosity: values.v,
    customUserAgent: values['custom-user-agent'],
    terminationWaitMs: values['termination-wait'],
  };
  return { kind: 'ok', config: deepFreeze(config) };
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
