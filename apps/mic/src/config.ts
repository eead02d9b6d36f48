import os from 'node:os';
import { isLogFormat, type LogFormat } from '@podid/observability/cli';
import { deepFreeze, type FlagValues, invalidFlagValue as invalid, parseGoFlags } from '@podid/go-flags';
import { micFlags } from './flags.js';

/** Everything MIC needs from its command line and environment, parsed once and frozen. Durations in ms. */
export interface MicConfig {
  readonly kubeconfigPath: string | undefined;
  readonly cloudConfigPath: string | undefined;
  /** `--forceNamespaced` or env `FORCENAMESPACED` exactly `"true"` (spec §2.1 step 2). */
  readonly namespaced: boolean;
  /** env `MIC_POD_NAMESPACE`: where MIC runs (type-upgrade ConfigMap, MIC exceptions). */
  readonly podNamespace: string;
  readonly syncRetryIntervalMs: number;
  readonly syncDebounceMs: number;
  readonly armPollIntervalMs: number;
  readonly leaderElection: {
    readonly instance: string;
    readonly namespace: string;
    readonly name: string;
    readonly leaseDurationMs: number;
  };
  readonly httpProbePort: number;
  readonly prometheusPort: number;
  readonly createDeleteBatch: number;
  readonly clientQps: number;
  /** Lower-cased client IDs that are never unassigned (`--immutable-user-msis`). */
  readonly immutableClientIds: readonly string[];
  readonly typeUpgrade: { readonly enabled: boolean; readonly configMapName: string; readonly statusKey: string };
  readonly updateUserMsi: { readonly maxRetry: number; readonly retryIntervalMs: number };
  readonly identityReconcileIntervalMs: number;
  readonly logFormat: LogFormat;
  readonly logVerbosity: number;
  readonly customUserAgent: string;
  /** `--manage-federated-credentials` with its `--oidc-issuer-url`; undefined when off. */
  readonly federatedCredentials: { readonly issuerUrl: string } | undefined;
}

export type MicConfigOutcome =
  | { readonly kind: 'ok'; readonly config: MicConfig }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  /** Bad flags or environment: print `message` and exit 2. */
  | { readonly kind: 'error'; readonly message: string };

export interface MicConfigInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname?: string;
}

/** Upstream's exact fatal message when the namespace variable is missing (spec §2.1 step 1). */
export const MISSING_POD_NAMESPACE_MESSAGE =
  'namespace not specified. Please add meta.namespace as env variable MIC_POD_NAMESPACE';

function checkValues(values: FlagValues<typeof micFlags>): string | undefined {
  const positiveDurations = [
    'syncRetryDuration',
    'leader-election-duration',
    'identity-assignment-reconcile-interval',
  ] as const;
  for (const flag of positiveDurations) {
    if (values[flag] <= 0) return invalid(flag, values[flag], 'must be a positive duration');
  }
  if (values['update-user-msi-retry-interval'] < 0) {
    return invalid('update-user-msi-retry-interval', values['update-user-msi-retry-interval'], 'must not be negative');
  }
  if (values['arm-poll-interval'] <= 0) {
    return invalid('arm-poll-interval', values['arm-poll-interval'], 'must be a positive duration');
  }
  if (values['sync-debounce'] < 0) return invalid('sync-debounce', values['sync-debounce'], 'must not be negative');
  if (values.createDeleteBatch < 1) return invalid('createDeleteBatch', values.createDeleteBatch, 'must be at least 1');
  if (values.clientQps <= 0) return invalid('clientQps', values.clientQps, 'must be greater than 0');
  if (values['update-user-msi-max-retry'] < 0) {
    return invalid('update-user-msi-max-retry', values['update-user-msi-max-retry'], 'must not be negative');
  }
  if (values['manage-federated-credentials']) {
    const issuer = values['oidc-issuer-url'];
    if (issuer === '') return 'flag --oidc-issuer-url is required when --manage-federated-credentials is set';
    // Real AAD wants https; http stays allowed for emulated issuers on loopback.
    if (!URL.canParse(issuer) || !['https:', 'http:'].includes(new URL(issuer).protocol)) {
      return invalid('oidc-issuer-url', issuer, 'must be an https URL');
    }
  }
  if (!isLogFormat(values['log-format'])) {
    return invalid('log-format', values['log-format'], 'unknown logging format');
  }
  return undefined;
}

/** Parses MIC's command line and environment. Never exits and never prints. */
export function loadMicConfig(input: MicConfigInput): MicConfigOutcome {
  const outcome = parseGoFlags(micFlags, input.argv, {
    name: 'mic',
    summary: 'podid Managed Identity Controller: assigns Azure identities to the VMs and VMSSs that run bound pods',
  });
  if (outcome.kind !== 'ok') return outcome;
  const values = outcome.values;
  if (values.version) return { kind: 'version' };

  const problem = checkValues(values);
  if (problem) return { kind: 'error', message: problem };

  const podNamespace = input.env['MIC_POD_NAMESPACE'];
  if (!podNamespace) return { kind: 'error', message: MISSING_POD_NAMESPACE_MESSAGE };

  // Upstream splits on "," without trimming and lower-cases; empty entries (from "a,,b" or "") match nothing.
  const immutableClientIds = values['immutable-user-msis']
    .split(',')
    .map((id) => id.toLowerCase())
    .filter((id) => id !== '');

  const config: MicConfig = {
    kubeconfigPath: values.kubeconfig || undefined,
    cloudConfigPath: values.cloudconfig || undefined,
    namespaced: values.forceNamespaced || input.env['FORCENAMESPACED'] === 'true',
    podNamespace,
    syncRetryIntervalMs: values.syncRetryDuration,
    syncDebounceMs: values['sync-debounce'],
    armPollIntervalMs: values['arm-poll-interval'],
    leaderElection: {
      instance: values['leader-election-instance'] || input.hostname || os.hostname(),
      namespace: values['leader-election-namespace'],
      name: values['leader-election-name'],
      leaseDurationMs: values['leader-election-duration'],
    },
    httpProbePort: values['http-probe-port'],
    prometheusPort: values['prometheus-port'],
    createDeleteBatch: values.createDeleteBatch,
    clientQps: values.clientQps,
    immutableClientIds,
    typeUpgrade: {
      enabled: values['enable-type-upgrade'],
      configMapName: values['config-map-name'],
      statusKey: values['type-upgrade-status-key'],
    },
    updateUserMsi: {
      maxRetry: values['update-user-msi-max-retry'],
      retryIntervalMs: values['update-user-msi-retry-interval'],
    },
    identityReconcileIntervalMs: values['identity-assignment-reconcile-interval'],
    logFormat: values['log-format'] as LogFormat, // checked by isLogFormat above
    logVerbosity: values.v,
    customUserAgent: values['custom-user-agent'],
    federatedCredentials: values['manage-federated-credentials'] ? { issuerUrl: values['oidc-issuer-url'] } : undefined,
  };
  return { kind: 'ok', config: deepFreeze(config) };
}
