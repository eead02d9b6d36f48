import { describe, expect, test } from '@jest/globals';
import { formatGoDuration } from '@podid/go-flags';
import { loadNmiConfig, MANAGED_WITHOUT_NAMESPACED_MESSAGE } from './config.js';
import { nmiFlags } from './flags.js';

const load = (argv: string[], env: Record<string, string> = {}) => loadNmiConfig({ argv: ['--node=n1', ...argv], env });

describe('loadNmiConfig', () => {
  test('upstream defaults (spec §3.12) and podid’s additions', () => {
    const outcome = load([]);
    if (outcome.kind !== 'ok') throw new Error(JSON.stringify(outcome));
    expect(outcome.config).toEqual({
      nodeName: 'n1',
      operationMode: 'standard',
      namespaced: false,
      micNamespace: 'default',
      kubeconfigPath: undefined,
      listen: { address: '127.0.0.1', port: 2579 },
      metadata: { ip: '169.254.169.254', port: 80 },
      redirectTarget: { ip: '127.0.0.1', port: 2579 },
      imdsEndpoint: 'http://169.254.169.254:80',
      iptables: {
        manage: true,
        updateIntervalMs: 60_000,
        conntrackDeletion: false,
        allowKubenet: false,
        kubeletConfigPath: '/etc/default/kubelet',
        setRouteLocalnet: false,
        onExit: 'reject',
      },
      lookup: {
        retryAttemptsForCreated: 16,
        retryAttemptsForAssigned: 4,
        retryIntervalMs: 5000,
        watchOnlyThisNode: true,
      },
      blockInstanceMetadata: false,
      metadataHeaderRequired: true,
      setRetryAfterHeader: false,
      errorFormat: 'json',
      startupTaint: { key: 'podid.io/nmi-not-ready', effect: 'NoSchedule' },
      tokenCache: { enabled: true, maxEntries: 1000 },
      waitingRequests: { perPod: 100, total: 5000 },
      maxConnectionsPerPod: 512,
      allowedMetadataPaths: undefined,
      upstreamConcurrency: { perPod: 2, total: 5, perSecond: 20 },
      httpProbePort: 8080,
      prometheusPort: 9090,
      logFormat: 'text',
      logVerbosity: 0,
      customUserAgent: '',
      federated: { enabled: true, authorityHost: 'https://login.microsoftonline.com/' },
      terminationWaitMs: 10_000,
    });
    expect(Object.isFrozen(outcome.config.lookup)).toBe(true);
  });

  test('the upstream chart’s command line', () => {
    const outcome = load([
      '--node=aks-nodepool1-0',
      '--http-probe-port=8085',
      '--operation-mode=standard',
      '--kubelet-config=/etc/default/kubelet',
      '--metadata-header-required=true',
      '--set-retry-after-header=true',
      '--retry-attempts-for-created=1',
      '--find-identity-retry-interval=1',
      '--nmi-listen-address=0.0.0.0',
      '--block-instance-metadata',
      '--token-cache=false',
      '--allowed-metadata-paths=/metadata/instance, /metadata/scheduledevents',
    ]);
    if (outcome.kind !== 'ok') throw new Error(JSON.stringify(outcome));
    expect(outcome.config).toMatchObject({
      nodeName: 'aks-nodepool1-0',
      httpProbePort: 8085,
      setRetryAfterHeader: true,
      lookup: { retryAttemptsForCreated: 1, retryIntervalMs: 1000 },
      listen: { address: '0.0.0.0', port: 2579 },
      redirectTarget: { ip: '127.0.0.1', port: 2579 },
      blockInstanceMetadata: true,
      tokenCache: { enabled: false },
      allowedMetadataPaths: ['/metadata/instance', '/metadata/scheduledevents'],
    });
  });

  test('operation mode is lower-cased; managed needs namespaced mode (spec §0.2)', () => {
    expect(load(['--operation-mode=Managed', '--forceNamespaced'])).toMatchObject({
      config: { operationMode: 'managed', namespaced: true },
    });
    expect(load(['--operation-mode=managed'], { FORCENAMESPACED: 'true' })).toMatchObject({
      config: { operationMode: 'managed' },
    });
    expect(load(['--operation-mode=managed'])).toEqual({ kind: 'error', message: MANAGED_WITHOUT_NAMESPACED_MESSAGE });
    expect(load(['--operation-mode=cluster'])).toEqual({
      kind: 'error',
      message: 'operation mode cluster not supported',
    });
  });

  test('KUBECONFIG from the environment unless the flag is given', () => {
    expect(load([], { KUBECONFIG: '/k' })).toMatchObject({ config: { kubeconfigPath: '/k' } });
    expect(load(['--kubeconfig=/f'], { KUBECONFIG: '/k' })).toMatchObject({ config: { kubeconfigPath: '/f' } });
  });

  test.each([
    [['--node='], /--node: the node name is required/],
    [['--metadata-ip=metadata'], /--metadata-ip: must be an IPv4 address/],
    [['--nmi-listen-address=localhost'], /--nmi-listen-address/],
    [['--nmi-port=x'], /--nmi-port/],
    [['--ipt-update-interval-sec=0'], /--ipt-update-interval-sec: must be at least 1/],
    [['--retry-attempts-for-created=abc'], /--retry-attempts-for-created/],
    [['--find-identity-retry-interval=-1'], /--find-identity-retry-interval/],
    [['--log-format=yaml'], /--log-format: unknown logging format/],
    [['--error-format=xml'], /--error-format: must be json or text/],
    [['--imds-endpoint=not a url'], /--imds-endpoint/],
    [['--metadata-header-required=maybe'], /--metadata-header-required/],
    [['--termination-wait=10'], /--termination-wait/],
    [['--termination-wait=-1s'], /--termination-wait: must not be negative/],
    [['--max-token-requests-per-second=-1'], /--max-token-requests-per-second: must not be negative/],
    [
      ['--allowed-metadata-paths=/metadata/instance,/metadata/%69dentity'],
      /invalid value "\/metadata\/%69dentity" for flag --allowed-metadata-paths: not a canonical path \(percent-encoded path\)/,
    ],
    [['--allowed-metadata-paths=/metadata//instance'], /--allowed-metadata-paths: not a canonical path/],
    [['--on-exit=delete'], /--on-exit: must be reject, remove or keep/],
    [['--startup-taint=bad key'], /--startup-taint: must be a taint key/],
    [['--startup-taint=podid.io/x:NoRun'], /--startup-taint: unknown taint effect "NoRun"/],
  ])('%j is refused naming the flag', (argv, message) => {
    const outcome = load(argv);
    expect(outcome.kind).toBe('error');
    if (outcome.kind === 'error') expect(outcome.message).toMatch(message);
  });

  test('--startup-taint: key, key:Effect, or empty to disable; --on-exit modes', () => {
    expect(load(['--startup-taint=example.com/wait:NoExecute'])).toMatchObject({
      config: { startupTaint: { key: 'example.com/wait', effect: 'NoExecute' } },
    });
    const disabled = load(['--startup-taint=']);
    expect(disabled.kind === 'ok' && disabled.config.startupTaint).toBeUndefined();
    for (const mode of ['reject', 'remove', 'keep']) {
      expect(load([`--on-exit=${mode}`])).toMatchObject({ config: { iptables: { onExit: mode } } });
    }
  });

  test('every flag parses from its own default value written on the command line', () => {
    for (const [name, definition] of Object.entries(nmiFlags)) {
      if (name === 'version' || name === 'operation-mode') continue;
      const text =
        definition.type === 'string' && definition.default === ''
          ? name === 'imds-endpoint'
            ? 'http://127.0.0.1:1'
            : name === 'allowed-metadata-paths'
              ? '/metadata/instance'
              : name === 'node'
                ? 'n2'
                : 'x'
          : definition.type === 'duration'
            ? formatGoDuration(definition.default)
            : String(definition.default);
      expect({ name, kind: load([`--${name}=${text}`]).kind }).toEqual({ name, kind: 'ok' });
    }
  });
});
