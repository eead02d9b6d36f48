import { describe, expect, test } from '@jest/globals';
import { loadMicConfig, MISSING_POD_NAMESPACE_MESSAGE } from './config.js';
import { micFlags } from './flags.js';

const env = { MIC_POD_NAMESPACE: 'kube-system' };
const load = (argv: string[], extraEnv: Record<string, string> = {}) =>
  loadMicConfig({ argv, env: { ...env, ...extraEnv }, hostname: 'mic-host' });

describe('loadMicConfig', () => {
  test('upstream defaults (spec §2.15)', () => {
    const outcome = load([]);
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    expect(outcome.config).toEqual({
      kubeconfigPath: undefined,
      cloudConfigPath: undefined,
      namespaced: false,
      podNamespace: 'kube-system',
      syncRetryIntervalMs: 3_600_000,
      syncDebounceMs: 100,
      armPollIntervalMs: 5000,
      leaderElection: {
        instance: 'mic-host',
        namespace: 'default',
        name: 'aad-pod-identity-mic',
        leaseDurationMs: 15_000,
      },
      httpProbePort: 8080,
      prometheusPort: 8888,
      createDeleteBatch: 20,
      clientQps: 5,
      immutableClientIds: [],
      typeUpgrade: { enabled: true, configMapName: 'aad-pod-identity-config', statusKey: 'type-upgrade-status' },
      updateUserMsi: { maxRetry: 2, retryIntervalMs: 1000 },
      identityReconcileIntervalMs: 180_000,
      logFormat: 'text',
      logVerbosity: 0,
      customUserAgent: '',
    });
    expect(Object.isFrozen(outcome.config)).toBe(true);
    expect(Object.isFrozen(outcome.config.leaderElection)).toBe(true);
  });

  test('a command line as the upstream chart writes it', () => {
    const outcome = load([
      '--cloudconfig=/etc/kubernetes/azure.json',
      '--logtostderr',
      '--http-probe-port=8085',
      '--prometheus-port=8888',
      '--immutable-user-msis=AAAA-1,bbbb-2',
      '--syncRetryDuration=30s',
      '-v=5',
      '--log-format=json',
      '--leader-election-instance=mic-0',
      '--enable-type-upgrade=false',
      '--update-user-msi-retry-interval=2s',
      '--identity-assignment-reconcile-interval=1m',
    ]);
    if (outcome.kind !== 'ok') throw new Error(JSON.stringify(outcome));
    expect(outcome.config).toMatchObject({
      cloudConfigPath: '/etc/kubernetes/azure.json',
      httpProbePort: 8085,
      immutableClientIds: ['aaaa-1', 'bbbb-2'],
      syncRetryIntervalMs: 30_000,
      logVerbosity: 5,
      logFormat: 'json',
      leaderElection: { instance: 'mic-0' },
      typeUpgrade: { enabled: false },
      updateUserMsi: { retryIntervalMs: 2000 },
      identityReconcileIntervalMs: 60_000,
    });
  });

  test('namespaced mode from the flag or from FORCENAMESPACED exactly "true"', () => {
    expect(load(['--forceNamespaced'])).toMatchObject({ config: { namespaced: true } });
    expect(load([], { FORCENAMESPACED: 'true' })).toMatchObject({ config: { namespaced: true } });
    expect(load([], { FORCENAMESPACED: 'TRUE' })).toMatchObject({ config: { namespaced: false } });
    expect(load(['--forceNamespaced=false'])).toMatchObject({ config: { namespaced: false } });
  });

  test('MIC_POD_NAMESPACE is required, with upstream’s message', () => {
    expect(loadMicConfig({ argv: [], env: {} })).toEqual({ kind: 'error', message: MISSING_POD_NAMESPACE_MESSAGE });
  });

  test('--version and --help', () => {
    expect(load(['--version'])).toEqual({ kind: 'version' });
    const help = load(['--help']);
    expect(help.kind).toBe('help');
    if (help.kind === 'help') expect(help.text).toContain('--createDeleteBatch <int>');
  });

  test.each([
    [['--log-format=xml'], /--log-format: unknown logging format/],
    [['--createDeleteBatch=0'], /--createDeleteBatch: must be at least 1/],
    [['--clientQps=0'], /--clientQps/],
    [['--clientQps=x'], /--clientQps/],
    [['--syncRetryDuration=0s'], /--syncRetryDuration: must be a positive duration/],
    [['--syncRetryDuration=10'], /--syncRetryDuration/],
    [['--leader-election-duration=-1s'], /--leader-election-duration/],
    [['--http-probe-port=http'], /--http-probe-port.*not a TCP port/],
    [['--prometheus-port=70000'], /--prometheus-port/],
    [['--update-user-msi-max-retry=-1'], /--update-user-msi-max-retry/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--manage-federated-credentials'], /--oidc-issuer-url is required when --manage-federated-credentials/],
    [['--manage-federated-credentials', '--oidc-issuer-url=not a url'], /--oidc-issuer-url: must be an https URL/],
  ])('%j is refused naming the flag', (argv, message) => {
    const outcome = load(argv);
    expect(outcome.kind).toBe('error');
    if (outcome.kind === 'error') expect(outcome.message).toMatch(message);
  });

  test('--manage-federated-credentials with --oidc-issuer-url; off by default', () => {
    const on = load(['--manage-federated-credentials', '--oidc-issuer-url=https://oidc.example/c1/']);
    expect(on.kind === 'ok' && on.config.federatedCredentials).toEqual({ issuerUrl: 'https://oidc.example/c1/' });
    const off = load(['--oidc-issuer-url=https://oidc.example/c1/']);
    expect(off.kind === 'ok' && off.config.federatedCredentials).toBeUndefined();
  });

  test('every flag parses from its own default value written on the command line', () => {
    for (const [name, definition] of Object.entries(micFlags)) {
      if (name === 'version') continue;
      const text =
        definition.type === 'duration'
          ? `${definition.default}ms`
          : definition.type === 'string' && definition.default === ''
            ? 'x'
            : String(definition.default);
      const outcome = load([`--${name}=${text}`]);
      expect({ name, kind: outcome.kind }).toEqual({ name, kind: 'ok' });
    }
  });
});
