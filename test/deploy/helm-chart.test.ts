/**
 * deploy/helm/podid rendered by the real helm (v3.17.1, installed by .ci/install-helm.sh): `helm lint` and
 * `helm template` for the configurations the chart must support, the same objects as the kustomize overlays for the
 * defaults, upstream aad-pod-identity v1.8.17's every values key honoured as upstream's templates would honour it, and
 * bad values refused with the key named. Without helm (or kubectl, for the kustomize comparison) the suite prints one
 * skip line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { loadMicConfig } from '../../apps/mic/src/config.js';
import { loadNmiConfig } from '../../apps/nmi/src/config.js';
import {
  chartDir,
  findHelm,
  findObject,
  fixturesDir,
  type KubeObject,
  objectKeys,
  parseManifests,
  renderChart,
  repoRoot,
  runHelm,
  templateArgs,
} from './helm-support.js';

const helm = findHelm();
if (helm === undefined) console.warn('SKIP helm chart: no helm v3 binary (run .ci/install-helm.sh)');
const describeWithHelm = helm === undefined ? describe.skip : describe;
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (helm !== undefined && !hasKubectl) console.warn('SKIP helm chart vs kustomize: kubectl is not installed');
const describeWithKustomize = helm !== undefined && hasKubectl ? describe : describe.skip;

const everyKeyFile = path.join(fixturesDir, 'upstream-every-key.values.yaml');
const HELM_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

function withoutHelmLabels(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (labels === undefined) return undefined;
  const kept = Object.fromEntries(Object.entries(labels).filter(([key]) => !HELM_LABELS.includes(key)));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** What the comparison with kustomize looks at: everything except Helm's labels, with kubectl's default namespace. */
function normalise(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  if (!CLUSTER_SCOPED.has(copy.kind)) copy.metadata.namespace ??= 'default';
  const labels = withoutHelmLabels(copy.metadata.labels);
  if (labels === undefined) delete copy.metadata.labels;
  else copy.metadata.labels = labels;
  if (copy.spec?.selector?.matchLabels)
    copy.spec.selector.matchLabels = withoutHelmLabels(copy.spec.selector.matchLabels);
  if (copy.spec?.template?.metadata?.labels)
    copy.spec.template.metadata.labels = withoutHelmLabels(copy.spec.template.metadata.labels);
  return copy;
}

const sortObjects = (objects: KubeObject[]) =>
  [...objects].sort((a, b) =>
    `${a.kind}/${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
      `${b.kind}/${b.metadata.namespace}/${b.metadata.name}`,
    ),
  );

function kustomize(overlay: string): KubeObject[] {
  const rendered = spawnSync('kubectl', ['kustomize', path.join(repoRoot, 'deploy/overlays', overlay)], {
    encoding: 'utf8',
  });
  if (rendered.status !== 0) throw new Error(`kubectl kustomize failed: ${rendered.stderr}`);
  return parseManifests(rendered.stdout);
}

const container = (workload: KubeObject) => workload.spec.template.spec.containers[0];
const envOf = (workload: KubeObject): Record<string, unknown> =>
  Object.fromEntries(
    (container(workload).env ?? []).map((e: { name: string; value?: string; valueFrom?: unknown }) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );
const plainEnv = (workload: KubeObject): Record<string, string> =>
  Object.fromEntries(
    (container(workload).env ?? [])
      .filter((e: { value?: string }) => typeof e.value === 'string')
      .map((e: { name: string; value: string }) => [e.name, e.value]),
  );

function micAccepts(deployment: KubeObject, env: Record<string, string> = {}) {
  const outcome = loadMicConfig({
    argv: container(deployment).args,
    env: { MIC_POD_NAMESPACE: 'default', ...plainEnv(deployment), ...env },
  });
  if (outcome.kind !== 'ok') throw new Error(`MIC refuses the chart's arguments: ${JSON.stringify(outcome)}`);
  return outcome.config;
}

function nmiAccepts(daemonSet: KubeObject) {
  const args = (container(daemonSet).args as string[]).map((arg) => arg.replace('$(NODE_NAME)', 'aks-node-0'));
  const outcome = loadNmiConfig({ argv: args, env: plainEnv(daemonSet) });
  if (outcome.kind !== 'ok') throw new Error(`NMI refuses the chart's arguments: ${JSON.stringify(outcome)}`);
  return outcome.config;
}

const scenarios: Record<string, { values?: string[]; set?: string[] }> = {
  defaults: {},
  managed: { set: ['operationMode=managed'] },
  forceNamespaced: { set: ['forceNamespaced=true'] },
  'two azureIdentities': { values: [path.join(fixturesDir, 'two-identities.values.yaml')] },
  adminsecret: { values: [path.join(fixturesDir, 'adminsecret.values.yaml')] },
  "podid's own keys": { values: [path.join(fixturesDir, 'podid-keys.values.yaml')] },
  'every upstream key': { values: [everyKeyFile] },
  'every upstream key, standard mode with RBAC': {
    values: [everyKeyFile],
    set: ['operationMode=standard', 'rbac.enabled=true'],
  },
};

describeWithHelm('deploy/helm/podid: helm lint and helm template', () => {
  const bin = helm as string;

  test.each(Object.entries(scenarios))('helm lint passes: %s', async (_name, scenario) => {
    const result = await runHelm(bin, [
      'lint',
      chartDir,
      '--strict',
      ...(scenario.values ?? []).flatMap((file) => ['-f', file]),
      ...(scenario.set ?? []).flatMap((pair) => ['--set', pair]),
    ]);
    expect(result.stderr + result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  // Both sets are written by `npm run write-crds -w packages/crd-types`.
  test('the chart ships deploy/crds byte for byte', () => {
    const chartCrds = fs.readdirSync(path.join(chartDir, 'crds')).sort();
    const kustomizeCrds = fs.readdirSync(path.join(repoRoot, 'deploy/crds')).filter((f) => f !== 'kustomization.yaml');
    expect(chartCrds).toEqual(kustomizeCrds.sort());
    for (const file of chartCrds)
      expect(fs.readFileSync(path.join(chartDir, 'crds', file), 'utf8')).toBe(
        fs.readFileSync(path.join(repoRoot, 'deploy/crds', file), 'utf8'),
      );
  });

  test("values.yaml has every key of upstream v1.8.17's values.yaml, and the every-key fixture sets each one", () => {
    const ours = parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
    const everyKey = parse(fs.readFileSync(everyKeyFile, 'utf8'));
    const at = (tree: unknown, key: string) =>
      key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], tree);
    const has = (tree: unknown, key: string) => {
      const parts = key.split('.');
      const parent = at(tree, parts.slice(0, -1).join('.')) ?? (parts.length === 1 ? tree : undefined);
      return typeof parent === 'object' && parent !== null && (parts.at(-1) as string) in parent;
    };
    for (const key of UPSTREAM_VALUES_KEYS) {
      // adminsecret's and imagePullSecrets' entries are commented out upstream; only their parents are in values.yaml.
      if (!key.startsWith('adminsecret.')) expect([key, has(ours, key)]).toEqual([key, true]);
      expect([key, has(everyKey, key)]).toEqual([key, true]);
    }
  });

  test("the chart README's table has a row for every upstream key", () => {
    const firstCells = fs
      .readFileSync(path.join(chartDir, 'README.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split(' | ')[0] as string);
    const covered = (key: string) => {
      const parent = key.split('.').slice(0, -1).join('.');
      const leaf = key.split('.').at(-1) as string;
      return firstCells.some(
        (cell) =>
          cell.includes(`\`${key}\``) ||
          (parent !== '' &&
            cell.includes(`\`${parent}.`) &&
            (cell.includes(`\`.${leaf}\``) || cell.includes(`\`${leaf}\``))),
      );
    };
    expect(UPSTREAM_VALUES_KEYS.filter((key) => !covered(key))).toEqual([]);
  });

  describeWithKustomize('the same objects as deploy/overlays (ignoring Helm labels)', () => {
    test.each(['standard', 'managed'])('%s', async (mode) => {
      const chart = await renderChart(bin, { includeCrds: true, set: [`operationMode=${mode}`] });
      const expected = sortObjects(kustomize(mode).map(normalise));
      const actual = sortObjects(chart.map(normalise));
      expect(objectKeys(actual)).toEqual(objectKeys(expected));
      for (const [index, object] of expected.entries()) expect(actual[index]).toEqual(object);
    });
  });

  test('defaults: MIC (two replicas, Lease election, least privilege) and NMI accept every argument', async () => {
    const objects = await renderChart(bin);
    const deployment = findObject(objects, 'Deployment', 'podid-mic', 'default');
    expect(deployment.spec.replicas).toBe(2);
    expect(micAccepts(deployment).cloudConfigPath).toBe('/etc/kubernetes/azure.json');
    const role = findObject(objects, 'Role', 'podid-mic', 'default');
    expect(role.rules.flatMap((rule: { resources: string[] }) => rule.resources).sort()).toEqual([
      'configmaps',
      'leases',
    ]);
    const micRole = findObject(objects, 'ClusterRole', 'podid-mic');
    expect(micRole.rules.flatMap((rule: { resources: string[] }) => rule.resources)).not.toContain('secrets');
    const config = nmiAccepts(findObject(objects, 'DaemonSet', 'podid-nmi', 'default'));
    expect(config.operationMode).toBe('standard');
    expect(config.namespaced).toBe(false);
  });

  test("installed outside the election namespace: MIC's Lease Role goes to --leader-election-namespace", async () => {
    const objects = await renderChart(bin, { namespace: 'kube-system' });
    const rulesOf = (role: KubeObject) => role.rules.flatMap((rule: { resources: string[] }) => rule.resources);
    expect(rulesOf(findObject(objects, 'Role', 'podid-mic', 'kube-system'))).toEqual(['configmaps']);
    // no --leader-election-namespace given: MIC's default, "default"
    expect(rulesOf(findObject(objects, 'Role', 'podid-mic-leader-election', 'default'))).toEqual(['leases']);
    expect(findObject(objects, 'RoleBinding', 'podid-mic-leader-election', 'default').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'podid-mic', namespace: 'kube-system' },
    ]);
    const config = micAccepts(findObject(objects, 'Deployment', 'podid-mic', 'kube-system'));
    expect(config.leaderElection.namespace).toBe('default');
  });

  test('managed mode: no MIC, NMI managed and namespaced, no assigned-identity access', async () => {
    const objects = await renderChart(bin, { set: ['operationMode=managed'] });
    expect(objects.filter((o) => o.metadata.name.endsWith('-mic') || o.metadata.name === 'mic')).toEqual([]);
    const config = nmiAccepts(findObject(objects, 'DaemonSet', 'podid-nmi'));
    expect(config.operationMode).toBe('managed');
    expect(config.namespaced).toBe(true);
    const role = findObject(objects, 'ClusterRole', 'podid-nmi');
    expect(role.rules.flatMap((rule: { resources: string[] }) => rule.resources)).not.toContain(
      'azureassignedidentities',
    );
  });

  test('forceNamespaced: MIC and NMI both run namespaced', async () => {
    const objects = await renderChart(bin, { set: ['forceNamespaced=true'] });
    expect(micAccepts(findObject(objects, 'Deployment', 'podid-mic')).namespaced).toBe(true);
    expect(nmiAccepts(findObject(objects, 'DaemonSet', 'podid-nmi')).namespaced).toBe(true);
  });

  test('azureIdentities with two entries: an AzureIdentity and an AzureIdentityBinding each', async () => {
    const objects = await renderChart(bin, {
      values: scenarios['two azureIdentities']?.values ?? [],
      namespace: 'identity',
    });
    const msi = findObject(objects, 'AzureIdentity', 'web-identity', 'web');
    expect(msi.spec).toEqual({
      type: 0,
      clientID: '00000000-0000-0000-0000-00000000000a',
      resourceID:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web',
    });
    expect(findObject(objects, 'AzureIdentityBinding', 'web-binding', 'web').spec).toEqual({
      azureIdentity: 'web-identity',
      selector: 'web',
    });
    // no name or namespace given: the key and the release namespace
    const sp = findObject(objects, 'AzureIdentity', 'batch-sp', 'identity');
    expect(sp.spec).toEqual({
      type: 1,
      clientID: '00000000-0000-0000-0000-00000000000b',
      tenantID: '00000000-0000-0000-0000-0000000000cc',
      clientPassword: { name: 'batch-sp-secret', namespace: 'identity' },
    });
    expect(findObject(objects, 'AzureIdentityBinding', 'batch-binding', 'identity').spec).toEqual({
      azureIdentity: 'batch-sp',
      selector: 'batch',
    });
    expect(objects.filter((o) => o.kind.startsWith('AzureIdentity'))).toHaveLength(4);
  });

  test("adminsecret: MIC's credentials come from a Secret the chart creates, not the node's cloud config", async () => {
    const objects = await renderChart(bin, { values: scenarios.adminsecret?.values ?? [] });
    const secret = findObject(objects, 'Secret', 'podid-mic', 'default');
    const decoded = Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(decoded).toEqual({
      Cloud: 'AzurePublicCloud',
      SubscriptionID: '00000000-0000-0000-0000-000000000001',
      ResourceGroup: 'MC_rg_cluster_westeurope',
      VMType: 'vmss',
      TenantID: '00000000-0000-0000-0000-000000000002',
      ClientID: '00000000-0000-0000-0000-000000000003',
      ClientSecret: 'not-a-real-secret',
    });
    const deployment = findObject(objects, 'Deployment', 'podid-mic');
    const pod = deployment.spec.template.spec;
    expect(container(deployment).args.some((arg: string) => arg.startsWith('--cloudconfig'))).toBe(false);
    expect(pod.volumes).toBeUndefined();
    const env = envOf(deployment);
    const fromSecret: Record<string, string> = {};
    for (const [variable, key] of Object.entries({
      CLOUD: 'Cloud',
      SUBSCRIPTION_ID: 'SubscriptionID',
      RESOURCE_GROUP: 'ResourceGroup',
      VM_TYPE: 'VMType',
      TENANT_ID: 'TenantID',
      CLIENT_ID: 'ClientID',
      CLIENT_SECRET: 'ClientSecret',
    })) {
      expect(env[variable]).toEqual({ secretKeyRef: { name: 'podid-mic', key } });
      fromSecret[variable] = decoded[key] as string;
    }
    expect(deployment.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    const config = micAccepts(deployment, fromSecret);
    expect(config.cloudConfigPath).toBeUndefined();
  });

  test("podid's own keys: each renders its flag, and MIC and NMI read it with its meaning", async () => {
    const objects = await renderChart(bin, { values: [path.join(fixturesDir, 'podid-keys.values.yaml')] });
    const mic = micAccepts(findObject(objects, 'Deployment', 'podid-mic'));
    expect(mic).toMatchObject({
      syncDebounceMs: 250,
      armPollIntervalMs: 2000,
      typeUpgrade: { enabled: false, configMapName: 'podid-type-upgrade' },
    });
    const nmi = nmiAccepts(findObject(objects, 'DaemonSet', 'podid-nmi'));
    expect(nmi).toMatchObject({
      tokenCache: { enabled: false, maxEntries: 50 },
      allowedMetadataPaths: ['/metadata/instance/compute'],
      upstreamConcurrency: { perPod: 1, total: 3, perSecond: 0 },
      terminationWaitMs: 0,
    });
    expect(nmi.iptables).toMatchObject({ manage: false, onExit: 'remove' });
    // startupTaint "" turns the start-up taint off: no flag value, no toleration for it, no nodes permission
    expect(nmi.startupTaint).toBeUndefined();
    const daemonSet = findObject(objects, 'DaemonSet', 'podid-nmi');
    expect(daemonSet.spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const role = findObject(objects, 'ClusterRole', 'podid-nmi');
    expect(role.rules.flatMap((rule: { resources: string[] }) => rule.resources)).not.toContain('nodes');
  });

  test('nmi.startupTaint: a custom taint is passed to NMI, tolerated with its effect, and NMI may patch nodes', async () => {
    const objects = await renderChart(bin, { set: ['nmi.startupTaint=example.com/identity-not-ready:NoExecute'] });
    const daemonSet = findObject(objects, 'DaemonSet', 'podid-nmi');
    expect(daemonSet.spec.template.spec.tolerations).toEqual([
      { key: 'example.com/identity-not-ready', operator: 'Exists', effect: 'NoExecute' },
      { operator: 'Exists' },
    ]);
    expect(nmiAccepts(daemonSet).startupTaint).toEqual({ key: 'example.com/identity-not-ready', effect: 'NoExecute' });
    const role = findObject(objects, 'ClusterRole', 'podid-nmi');
    expect(role.rules.at(-1)).toEqual({ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] });
  });

  test('mic/nmi.podMonitor: a PodMonitor per component for its metrics port, when the cluster serves the kind', async () => {
    const objects = await renderChart(bin, {
      set: [
        'mic.podMonitor.enabled=true',
        'nmi.podMonitor.enabled=true',
        'nmi.podMonitor.interval=30s',
        'nmi.podMonitor.labels.release=prom',
      ],
      apiVersions: ['monitoring.coreos.com/v1/PodMonitor'],
    });
    const nmi = findObject(objects, 'PodMonitor', 'podid-nmi', 'default');
    expect(nmi.metadata.labels?.['release']).toBe('prom');
    expect(nmi.spec).toEqual({
      selector: {
        matchLabels: {
          'app.kubernetes.io/name': 'podid',
          'app.kubernetes.io/instance': 'podid',
          'app.kubernetes.io/component': 'nmi',
        },
      },
      namespaceSelector: { matchNames: ['default'] },
      podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
    });
    // the selector matches the DaemonSet's pods, and the port name is one of theirs
    const daemonSet = findObject(objects, 'DaemonSet', 'podid-nmi');
    expect(daemonSet.spec.template.metadata.labels).toMatchObject(nmi.spec.selector.matchLabels);
    expect(container(daemonSet).ports.map((p: { name: string }) => p.name)).toContain('metrics');
    const mic = findObject(objects, 'PodMonitor', 'podid-mic', 'default');
    expect(findObject(objects, 'Deployment', 'podid-mic').spec.template.metadata.labels).toMatchObject(
      mic.spec.selector.matchLabels,
    );
    // off by default
    expect(
      (await renderChart(bin, { apiVersions: ['monitoring.coreos.com/v1/PodMonitor'] })).filter(
        (o) => o.kind === 'PodMonitor',
      ),
    ).toEqual([]);
  });

  describe('bad values fail, naming the key', () => {
    const refusals: Array<[string, string[], RegExp]> = [
      ['a wrong type', ['--set', 'mic.replicas=two'], /mic\.replicas: Invalid type\. Expected: integer/],
      ['a wrong type (boolean)', ['--set', 'rbac.enabled=maybe'], /rbac\.enabled: Invalid type/],
      [
        'an unknown operationMode',
        ['--set', 'operationMode=hybrid'],
        /operationMode: operationMode must be one of the following: "standard", "managed"/,
      ],
      [
        'a malformed duration',
        ['--set', 'mic.syncRetryDuration=soon'],
        /mic\.syncRetryDuration: Does not match pattern/,
      ],
      [
        'rbac.pspEnabled, which podid cannot honour',
        ['--set', 'rbac.pspEnabled=true'],
        /rbac\.pspEnabled: podid does not render PodSecurityPolicies/,
      ],
      [
        "upstream's image registry, which would run aad-pod-identity under podid's arguments",
        ['--set', 'image.repository=mcr.microsoft.com/oss/azure/aad-pod-identity'],
        /image\.repository: mcr\.microsoft\.com\/oss\/azure\/aad-pod-identity holds aad-pod-identity's images/,
      ],
      [
        'an aad-pod-identity image tag',
        ['--set', 'nmi.tag=v1.8.17'],
        /nmi\.tag: v1\.8\.17 is an aad-pod-identity release/,
      ],
      [
        'an identity without its clientID',
        [
          '--set',
          'azureIdentities.web.type=0',
          '--set',
          'azureIdentities.web.resourceID=/x',
          '--set',
          'azureIdentities.web.binding.name=b',
          '--set',
          'azureIdentities.web.binding.selector=s',
        ],
        /azureIdentities\.web\.clientID is required/,
      ],
      [
        'an incomplete adminsecret',
        ['--set', 'adminsecret.cloud=AzurePublicCloud'],
        /adminsecret\.subscriptionID is required/,
      ],
      [
        'a PodMonitor on a cluster without the Prometheus Operator',
        ['--set', 'nmi.podMonitor.enabled=true'],
        /nmi\.podMonitor\.enabled: the cluster does not serve monitoring\.coreos\.com\/v1 PodMonitor/,
      ],
      [
        'a PodDisruptionBudget without a bound',
        ['--set', 'mic.podDisruptionBudget.selector=x'],
        /mic\.podDisruptionBudget: set minAvailable/,
      ],
    ];
    test.each(refusals)('%s', async (_what, args, message) => {
      const result = await runHelm(bin, [...templateArgs({}), ...args]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(message);
    });

    test('the every-key file with rbac.pspEnabled=true (its one key podid refuses) fails on that key', async () => {
      const result = await runHelm(bin, [...templateArgs({ values: [everyKeyFile] }), '--set', 'rbac.pspEnabled=true']);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/rbac\.pspEnabled/);
    });
  });
});

/** Every key path of aad-pod-identity v1.8.17's charts/aad-pod-identity/values.yaml (maps and lists as one key). */
const UPSTREAM_VALUES_KEYS = [
  'nameOverride',
  'fullnameOverride',
  'image.repository',
  'image.imagePullPolicy',
  'imagePullSecrets',
  'forceNamespaced',
  'installMICException',
  'adminsecret.cloud',
  'adminsecret.subscriptionID',
  'adminsecret.resourceGroup',
  'adminsecret.vmType',
  'adminsecret.tenantID',
  'adminsecret.clientID',
  'adminsecret.clientSecret',
  'adminsecret.useMSI',
  'adminsecret.userAssignedMSIClientID',
  'operationMode',
  ...[
    'image',
    'tag',
    'priorityClassName',
    'logVerbosity',
    'loggingFormat',
    'replicas',
    'resources',
    'podAnnotations',
    'podLabels',
    'nodeSelector',
    'tolerations',
    'affinity',
    'topologySpreadConstraints',
    'podDisruptionBudget',
    'leaderElection.instance',
    'leaderElection.namespace',
    'leaderElection.name',
    'leaderElection.duration',
    'probePort',
    'syncRetryDuration',
    'immutableUserMSIs',
    'createDeleteBatch',
    'clientQps',
    'prometheusPort',
    'cloudConfig',
    'customCloud.enabled',
    'customCloud.configPath',
    'updateUserMSIMaxRetry',
    'updateUserMSIRetryInterval',
    'identityAssignmentReconcileInterval',
  ].map((key) => `mic.${key}`),
  ...[
    'image',
    'tag',
    'priorityClassName',
    'logVerbosity',
    'loggingFormat',
    'resources',
    'updateStrategy',
    'podAnnotations',
    'podLabels',
    'nodeSelector',
    'tolerations',
    'affinity',
    'ipTableUpdateTimeIntervalInSeconds',
    'micNamespace',
    'probePort',
    'retryAttemptsForCreated',
    'retryAttemptsForAssigned',
    'findIdentityRetryIntervalInSeconds',
    'enableScaleFeatures',
    'prometheusPort',
    'blockInstanceMetadata',
    'metadataHeaderRequired',
    'allowNetworkPluginKubenet',
    'kubeletConfig',
    'setRetryAfterHeader',
    'enableConntrackDeletion',
  ].map((key) => `nmi.${key}`),
  'rbac.enabled',
  'rbac.allowAccessToSecrets',
  'rbac.pspEnabled',
  'rbac.createUserFacingClusterRoles',
  'azureIdentities',
  'customUserAgent',
];
