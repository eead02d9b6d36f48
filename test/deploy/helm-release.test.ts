/**
 * The chart against a running API server (kube-emulator) with the real helm: `helm install`, then MIC and NMI started
 * from the installed Deployment/DaemonSet arguments; `helm upgrade` of a release made by an earlier chart labelled as
 * aad-pod-identity's chart labels its objects (same release name, same CRDs), which must leave existing AzureIdentity
 * and AzureIdentityBinding objects alone; `helm uninstall`, which removes the release's objects and keeps the CRDs.
 * Without helm or kubectl the suite prints one skip line.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { loadMicConfig } from '../../apps/mic/src/config.js';
import { loadNmiConfig } from '../../apps/nmi/src/config.js';
import {
  chartDir,
  findHelm,
  fixturesDir,
  type HelmResult,
  type KubeObject,
  parseManifests,
  runHelm,
} from './helm-support.js';

const helm = findHelm();
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (helm === undefined) console.warn('SKIP helm release: no helm v3 binary (run .ci/install-helm.sh)');
else if (!hasKubectl) console.warn('SKIP helm release: kubectl is not installed');
const describeWithTools = helm !== undefined && hasKubectl ? describe : describe.skip;

const CRDS = [
  'azureassignedidentities.aadpodidentity.k8s.io',
  'azureidentities.aadpodidentity.k8s.io',
  'azureidentitybindings.aadpodidentity.k8s.io',
  'azurepodidentityexceptions.aadpodidentity.k8s.io',
];

/** A running emulator plus helm and kubectl pointed at it. */
class Cluster {
  private constructor(
    readonly emulator: KubeEmulator,
    private readonly home: string,
  ) {}

  static async start(): Promise<Cluster> {
    return new Cluster(await startKubeEmulator(), fs.mkdtempSync(path.join(os.tmpdir(), 'podid-helm-release-')));
  }

  private get env() {
    return { KUBECONFIG: this.emulator.kubeconfigPath, HOME: this.home };
  }

  helm(args: string[]): Promise<HelmResult> {
    return runHelm(helm as string, args, this.env);
  }

  async helmOk(args: string[]): Promise<string> {
    const result = await this.helm(args);
    if (result.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  }

  kubectl(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'kubectl',
        args,
        { encoding: 'utf8', env: { ...process.env, ...this.env } },
        (error, stdout, stderr) =>
          error ? reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`)) : resolve(stdout),
      );
      child.stdin?.end(input ?? '');
    });
  }

  async get<T = KubeObject>(args: string[]): Promise<T> {
    return JSON.parse(await this.kubectl(['get', ...args, '-o', 'json'])) as T;
  }

  async names(resource: string): Promise<string[]> {
    const list = await this.get<{ items: KubeObject[] }>([resource, '-A']);
    return list.items
      .map((o) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name))
      .sort();
  }

  /** The live Deployment/DaemonSet pod templates equal the ones the release rendered (`helm get manifest`). */
  async expectWorkloadsAsRendered(release: string): Promise<void> {
    const rendered = parseManifests(await this.helmOk(['get', 'manifest', release, '--namespace', 'default']));
    const workloads = rendered.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
    expect(workloads.map((o) => o.kind).sort()).toEqual(['DaemonSet', 'Deployment']);
    for (const workload of workloads) {
      const live = await this.get([workload.kind.toLowerCase(), workload.metadata.name, '-n', 'default']);
      expect([workload.metadata.name, live.spec.template]).toEqual([workload.metadata.name, workload.spec.template]);
      expect(live.spec.selector).toEqual(workload.spec.selector);
    }
  }

  async close(): Promise<void> {
    await this.emulator.close();
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/**
 * Edits a copy of the chart so its pod templates differ from podid's where upstream v1.8.17's templates differ (facts
 * read from upstream's chart): the `tier: node` label, volume names `iptableslock`/`k8s-azure-file`, MIC as root, and
 * NMI's always-rendered `--enableScaleFeatures`/`--metadata-header-required`. An in-place upgrade then has to merge
 * real list changes (volumes, mounts, args, labels) into the live objects.
 */
function makeUpstreamShaped(chart: string): void {
  const edit = (file: string, edits: Array<[string, string]>) => {
    const target = path.join(chart, 'templates', file);
    let text = fs.readFileSync(target, 'utf8');
    for (const [from, to] of edits) {
      if (!text.includes(from)) throw new Error(`${file}: no ${JSON.stringify(from)} to rewrite`);
      text = text.split(from).join(to);
    }
    fs.writeFileSync(target, text);
  };
  edit('nmi-daemonset.yaml', [
    ['        app.kubernetes.io/component: nmi\n', '        app.kubernetes.io/component: nmi\n        tier: node\n'],
    ['name: iptables-lock', 'name: iptableslock'],
    [
      '            - --node=$(NODE_NAME)\n',
      '            - --node=$(NODE_NAME)\n            - --enableScaleFeatures=true\n            - --metadata-header-required=true\n',
    ],
  ]);
  edit('mic-deployment.yaml', [
    ['name: cloud-config', 'name: k8s-azure-file'],
    [
      '            allowPrivilegeEscalation: false\n',
      '            runAsUser: 0\n            allowPrivilegeEscalation: false\n',
    ],
    ['          args:\n', '          args:\n            - --logtostderr\n'],
  ]);
}

const container = (workload: KubeObject) => workload.spec.template.spec.containers[0];
const plainEnv = (workload: KubeObject): Record<string, string> =>
  Object.fromEntries(
    (container(workload).env ?? [])
      .filter((e: { value?: string }) => typeof e.value === 'string')
      .map((e: { name: string; value: string }) => [e.name, e.value]),
  );

function expectMicAccepts(deployment: KubeObject) {
  const outcome = loadMicConfig({
    argv: container(deployment).args,
    env: { MIC_POD_NAMESPACE: deployment.metadata.namespace ?? '', ...plainEnv(deployment) },
  });
  if (outcome.kind !== 'ok') throw new Error(`MIC refuses the installed arguments: ${JSON.stringify(outcome)}`);
  return outcome.config;
}

function expectNmiAccepts(daemonSet: KubeObject) {
  const argv = (container(daemonSet).args as string[]).map((arg) => arg.replace('$(NODE_NAME)', 'aks-node-0'));
  const outcome = loadNmiConfig({ argv, env: plainEnv(daemonSet) });
  if (outcome.kind !== 'ok') throw new Error(`NMI refuses the installed arguments: ${JSON.stringify(outcome)}`);
  return outcome.config;
}

describeWithTools('helm install of deploy/helm/podid into a running API server', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start();
    // The identities' namespaces must exist, as on any cluster.
    await cluster.kubectl(['create', 'namespace', 'web']);
    await cluster.kubectl(['create', 'namespace', 'identity']);
    await cluster.helmOk([
      'install',
      'podid',
      chartDir,
      '--namespace',
      'default',
      '-f',
      path.join(fixturesDir, 'two-identities.values.yaml'),
    ]);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  test('the release is recorded as deployed, in a Secret', async () => {
    const list = JSON.parse(await cluster.helmOk(['list', '--namespace', 'default', '-o', 'json'])) as Array<{
      name: string;
      status: string;
      chart: string;
    }>;
    expect(list).toEqual([expect.objectContaining({ name: 'podid', status: 'deployed', chart: 'podid-0.1.0' })]);
    const secrets = await cluster.get<{ items: KubeObject[] }>([
      'secrets',
      '-n',
      'default',
      '-l',
      'owner=helm,name=podid',
    ]);
    expect(secrets.items.map((s) => s.type)).toEqual(['helm.sh/release.v1']);
  });

  test('the CRDs, workloads, RBAC, exceptions and identities are served', async () => {
    expect(await cluster.names('customresourcedefinitions')).toEqual(CRDS);
    expect(await cluster.names('azurepodidentityexceptions')).toEqual([
      'default/mic',
      'kube-system/aks-addon-exception',
    ]);
    expect(await cluster.names('azureidentities')).toEqual(['default/batch-sp', 'web/web-identity']);
    expect(await cluster.names('clusterroles')).toEqual(['podid-mic', 'podid-nmi']);
  });

  test('MIC and NMI started from the installed Deployment and DaemonSet accept every argument', async () => {
    const micConfig = expectMicAccepts(await cluster.get(['deployment', 'podid-mic', '-n', 'default']));
    expect(micConfig.cloudConfigPath).toBe('/etc/kubernetes/azure.json');
    const nmiConfig = expectNmiAccepts(await cluster.get(['daemonset', 'podid-nmi', '-n', 'default']));
    expect(nmiConfig.operationMode).toBe('standard');
  });

  test('bad values fail the install, naming the key, and leave no release behind', async () => {
    const result = await cluster.helm([
      'install',
      'bad',
      chartDir,
      '--namespace',
      'default',
      '--set',
      'operationMode=hybrid',
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/operationMode: operationMode must be one of the following/);
    const list = JSON.parse(await cluster.helmOk(['list', '-A', '-a', '-o', 'json'])) as Array<{ name: string }>;
    expect(list.map((r) => r.name)).toEqual(['podid']);
  });
});

// With the values as they are, the workloads get podid's names (podid-mic, podid-nmi: Helm creates those and deletes
// the old ones). With nameOverride=aad-pod-identity they keep upstream's names and selectors and are updated in place,
// which is what the README recommends (NMI's DaemonSet then rolls node by node).
describeWithTools.each([
  { variant: 'values unchanged', extra: [] as string[], mic: 'podid-mic', nmi: 'podid-nmi' },
  {
    variant: 'nameOverride=aad-pod-identity',
    extra: ['--set', 'nameOverride=aad-pod-identity'],
    mic: 'aad-pod-identity-mic',
    nmi: 'aad-pod-identity-nmi',
  },
])('helm upgrade from an aad-pod-identity release ($variant), then helm uninstall', ({ extra, mic, nmi }) => {
  let cluster: Cluster;
  let work: string;
  const values = path.join(fixturesDir, 'migration.values.yaml');
  const userIdentityNames = ['azureidentity/user-made', 'azureidentitybinding/user-made-binding'];
  const before: Record<string, KubeObject> = {};

  beforeAll(async () => {
    cluster = await Cluster.start();
    // The earlier release: this chart as it would be named and versioned by upstream, so every object carries
    // aad-pod-identity's labels (app.kubernetes.io/name: aad-pod-identity, helm.sh/chart: aad-pod-identity-4.1.18).
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'podid-earlier-chart-'));
    const earlier = path.join(work, 'aad-pod-identity');
    fs.cpSync(chartDir, earlier, { recursive: true });
    const chartYaml = fs.readFileSync(path.join(earlier, 'Chart.yaml'), 'utf8');
    fs.writeFileSync(
      path.join(earlier, 'Chart.yaml'),
      chartYaml.replace(/^name: .*$/m, 'name: aad-pod-identity').replace(/^version: .*$/m, 'version: 4.1.18'),
    );
    makeUpstreamShaped(earlier);
    await cluster.helmOk(['install', 'aad-pod-identity', earlier, '--namespace', 'default', '-f', values]);
    // Identities made by hand, as most clusters have them.
    await cluster.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'aadpodidentity.k8s.io/v1',
            kind: 'AzureIdentity',
            metadata: { name: 'user-made', namespace: 'default' },
            spec: {
              type: 0,
              resourceID:
                '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/user-made',
              clientID: '00000000-0000-0000-0000-0000000000ab',
            },
          },
          {
            apiVersion: 'aadpodidentity.k8s.io/v1',
            kind: 'AzureIdentityBinding',
            metadata: { name: 'user-made-binding', namespace: 'default' },
            spec: { azureIdentity: 'user-made', selector: 'user-made' },
          },
        ],
      }),
    );
    for (const name of [...userIdentityNames, 'azureidentity/chart-made', 'azureidentitybinding/chart-made-binding'])
      before[name] = await cluster.get([name, '-n', 'default']);
  });
  afterAll(async () => {
    await cluster?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the earlier release carries upstream names and labels', async () => {
    const deployment = await cluster.get(['deployment', 'aad-pod-identity-mic', '-n', 'default']);
    expect(deployment.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'aad-pod-identity',
      'app.kubernetes.io/instance': 'aad-pod-identity',
      'helm.sh/chart': 'aad-pod-identity-4.1.18',
    });
    const daemonSet = await cluster.get(['daemonset', 'aad-pod-identity-nmi', '-n', 'default']);
    expect(daemonSet.spec.template.metadata.labels['tier']).toBe('node');
    expect(daemonSet.spec.template.spec.volumes.map((v: { name: string }) => v.name)).toContain('iptableslock');
  });

  test('helm upgrade with the same values succeeds and leaves existing identities and bindings untouched', async () => {
    // The README's first step: upstream's MIC scaled to zero, so two MICs never lead at once.
    await cluster.kubectl([
      'patch',
      'deployment',
      'aad-pod-identity-mic',
      '-n',
      'default',
      '-p',
      '{"spec":{"replicas":0}}',
    ]);
    const oldNmi = await cluster.get(['daemonset', 'aad-pod-identity-nmi', '-n', 'default']);
    await cluster.helmOk(['upgrade', 'aad-pod-identity', chartDir, '--namespace', 'default', '-f', values, ...extra]);
    // Every field of the new pod templates arrived (an in-place update is a strategic merge patch of the old ones).
    await cluster.expectWorkloadsAsRendered('aad-pod-identity');
    // Helm's three-way merge brings MIC back to mic.replicas.
    expect((await cluster.get(['deployment', mic, '-n', 'default'])).spec.replicas).toBe(2);
    if (nmi === 'aad-pod-identity-nmi') {
      // updated in place: same object, selector unchanged (it is immutable)
      const newNmi = await cluster.get(['daemonset', nmi, '-n', 'default']);
      expect(newNmi.metadata.uid).toBe(oldNmi.metadata.uid);
      expect(newNmi.spec.selector).toEqual(oldNmi.spec.selector);
      expect(newNmi.metadata.labels?.['helm.sh/chart']).toBe('podid-0.1.0');
    }
    const history = JSON.parse(
      await cluster.helmOk(['history', 'aad-pod-identity', '-n', 'default', '-o', 'json']),
    ) as Array<{ status: string; chart: string }>;
    expect(history.map((h) => [h.chart, h.status])).toEqual([
      ['aad-pod-identity-4.1.18', 'superseded'],
      ['podid-0.1.0', 'deployed'],
    ]);
    for (const name of userIdentityNames) {
      const now = await cluster.get([name, '-n', 'default']);
      expect([name, now.metadata.resourceVersion, now.spec]).toEqual([
        name,
        before[name]?.metadata.resourceVersion,
        before[name]?.spec,
      ]);
    }
    // The chart-made ones are the same objects (same uid, same spec), relabelled by the new chart.
    for (const name of ['azureidentity/chart-made', 'azureidentitybinding/chart-made-binding']) {
      const now = await cluster.get([name, '-n', 'default']);
      expect([name, now.metadata.uid, now.spec]).toEqual([name, before[name]?.metadata.uid, before[name]?.spec]);
      expect(now.metadata.labels?.['helm.sh/chart']).toBe('podid-0.1.0');
    }
    expect(await cluster.names('customresourcedefinitions')).toEqual(CRDS);
  });

  test("after the upgrade, podid's MIC and NMI run with arguments they accept, and no other MIC or NMI workload is left", async () => {
    const deployments = await cluster.names('deployments');
    const daemonSets = await cluster.names('daemonsets');
    expect([deployments, daemonSets]).toEqual([[`default/${mic}`], [`default/${nmi}`]]);
    const micConfig = expectMicAccepts(await cluster.get(['deployment', mic, '-n', 'default']));
    expect(micConfig.immutableClientIds).toEqual(['00000000-0000-0000-0000-0000000000cd']);
    expect(
      expectNmiAccepts(await cluster.get(['daemonset', nmi, '-n', 'default'])).lookup.retryAttemptsForCreated,
    ).toBe(20);
  });

  test('going back: helm rollback to the aad-pod-identity revision restores its workloads, identities untouched', async () => {
    await cluster.helmOk(['rollback', 'aad-pod-identity', '1', '--namespace', 'default']);
    const deployment = await cluster.get(['deployment', 'aad-pod-identity-mic', '-n', 'default']);
    expect(deployment.metadata.labels?.['helm.sh/chart']).toBe('aad-pod-identity-4.1.18');
    await cluster.expectWorkloadsAsRendered('aad-pod-identity');
    expect(await cluster.names('daemonsets')).toEqual(['default/aad-pod-identity-nmi']);
    for (const name of userIdentityNames) {
      const now = await cluster.get([name, '-n', 'default']);
      expect([name, now.metadata.resourceVersion]).toEqual([name, before[name]?.metadata.resourceVersion]);
    }
    // and forward again, so the uninstall below removes a podid release
    await cluster.helmOk(['upgrade', 'aad-pod-identity', chartDir, '--namespace', 'default', '-f', values, ...extra]);
  });

  test('helm uninstall removes what the release installed and keeps the CRDs and hand-made identities', async () => {
    await cluster.helmOk(['uninstall', 'aad-pod-identity', '--namespace', 'default']);
    expect(await cluster.names('customresourcedefinitions')).toEqual(CRDS);
    expect(await cluster.names('deployments')).toEqual([]);
    expect(await cluster.names('daemonsets')).toEqual([]);
    expect(await cluster.names('clusterroles')).toEqual([]);
    expect(await cluster.names('clusterrolebindings')).toEqual([]);
    expect((await cluster.names('serviceaccounts')).filter((name) => /-(mic|nmi)$/.test(name))).toEqual([]);
    expect(await cluster.names('azurepodidentityexceptions')).toEqual([]);
    expect(await cluster.names('azureidentities')).toEqual(['default/user-made']);
    expect(await cluster.names('azureidentitybindings')).toEqual(['default/user-made-binding']);
    const releaseSecrets = await cluster.get<{ items: KubeObject[] }>(['secrets', '-A', '-l', 'owner=helm']);
    expect(releaseSecrets.items).toEqual([]);
  });
});
