/**
 * deploy/: the kustomize overlays render with the real `kubectl kustomize`, apply cleanly to a Kubernetes API
 * (kube-emulator) with the real `kubectl apply`, and every argument they pass to MIC and NMI is one the programs
 * accept. Without kubectl the suite prints one skip line.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { loadMicConfig } from '../../apps/mic/src/config.js';
import { loadNmiConfig } from '../../apps/nmi/src/config.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!hasKubectl) console.warn('SKIP deploy manifests: kubectl is not installed');
const describeWithKubectl = hasKubectl ? describe : describe.skip;

interface Container {
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  securityContext?: { capabilities?: { add?: string[]; drop?: string[] }; runAsUser?: number };
}
interface Workload {
  spec: {
    replicas?: number;
    template: {
      spec: {
        containers: Container[];
        hostNetwork?: boolean;
        serviceAccountName?: string;
        tolerations?: { key?: string; operator?: string; effect?: string }[];
      };
    };
  };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

describeWithKubectl.each(['standard', 'managed'])('deploy/overlays/%s', (overlay) => {
  let emulator: KubeEmulator;
  let home: string;
  // Asynchronous on purpose: the emulator answers kubectl from this very process.
  const kubectl = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(
        'kubectl',
        args,
        { encoding: 'utf8', env: { ...process.env, KUBECONFIG: emulator.kubeconfigPath, HOME: home } },
        (error, stdout, stderr) =>
          error ? reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`)) : resolve(stdout),
      );
      child.stdin?.end(input ?? '');
    });
  const getJson = async <T>(args: string[]): Promise<T> =>
    JSON.parse(await kubectl(['get', ...args, '-o', 'json'])) as T;

  beforeAll(async () => {
    emulator = await startKubeEmulator();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'podid-deploy-'));
    // CRDs first, as with any operator: kubectl resolves every kind before applying, so the custom resources in the
    // overlay need the CRDs to be served already.
    await kubectl(['apply', '-k', path.join(repoRoot, 'deploy/crds')]);
    const rendered = spawnSync('kubectl', ['kustomize', path.join(repoRoot, 'deploy/overlays', overlay)], {
      encoding: 'utf8',
    });
    expect(rendered.status).toBe(0);
    await kubectl(['apply', '-f', '-'], rendered.stdout);
  });
  afterAll(async () => {
    await emulator?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('NMI: a host-network DaemonSet with only the capabilities iptables needs, and arguments NMI accepts', async () => {
    const ds = await getJson<Workload>(['daemonset', 'podid-nmi', '-n', 'default']);
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    // NMI runs on nodes registered with its own start-up taint (it removes the taint once it serves).
    expect(pod.tolerations).toContainEqual({ key: 'podid.io/nmi-not-ready', operator: 'Exists', effect: 'NoSchedule' });
    const container = pod.containers[0] as Container;
    expect(container.securityContext?.capabilities).toEqual({
      drop: ['ALL'],
      add: ['NET_ADMIN', 'NET_RAW', 'DAC_READ_SEARCH'],
    });
    const args = (container.args ?? []).map((arg) => arg.replace('$(NODE_NAME)', 'aks-node-0'));
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const outcome = loadNmiConfig({ argv: args, env });
    if (outcome.kind !== 'ok') throw new Error(`NMI refuses the manifest's arguments: ${JSON.stringify(outcome)}`);
    expect(outcome.config.operationMode).toBe(overlay);
    expect(outcome.config.namespaced).toBe(overlay === 'managed');
    expect(outcome.config.httpProbePort).toBe(8085);
  });

  test('NMI RBAC is read-only, except patching nodes (start-up taint) and pod-bound service-account tokens (type 3)', async () => {
    const role = await getJson<{ rules: Rule[] }>(['clusterrole', 'podid-nmi']);
    for (const rule of role.rules) {
      const writes = rule.verbs.filter((verb) => !['get', 'list', 'watch'].includes(verb));
      expect({ resources: rule.resources, writes }).toEqual({
        resources: rule.resources,
        writes:
          rule.resources.length === 1 && rule.resources[0] === 'nodes'
            ? ['patch']
            : rule.resources.length === 1 && rule.resources[0] === 'serviceaccounts/token'
              ? ['create']
              : [],
      });
    }
    expect(role.rules.some((rule) => rule.resources.includes('nodes') && rule.verbs.includes('patch'))).toBe(true);
    expect(role.rules.some((rule) => rule.resources.includes('serviceaccounts/token'))).toBe(true);
    const crdRule = role.rules.find((rule) => rule.apiGroups.includes('aadpodidentity.k8s.io'));
    expect(crdRule?.resources.includes('azureassignedidentities')).toBe(overlay === 'standard');
  });

  test('the AKS add-on exception is installed in kube-system', async () => {
    const exception = await getJson<{ spec: { podLabels: Record<string, string> } }>([
      'azurepodidentityexception',
      'aks-addon-exception',
      '-n',
      'kube-system',
    ]);
    expect(exception.spec.podLabels).toEqual({ 'kubernetes.azure.com/managedby': 'aks' });
  });

  if (overlay === 'standard') {
    test('MIC: two replicas, non-root, arguments MIC accepts, least-privilege RBAC', async () => {
      const deployment = await getJson<Workload>(['deployment', 'podid-mic', '-n', 'default']);
      expect(deployment.spec.replicas).toBe(2);
      const container = deployment.spec.template.spec.containers[0] as Container;
      const outcome = loadMicConfig({ argv: container.args ?? [], env: { MIC_POD_NAMESPACE: 'default' } });
      if (outcome.kind !== 'ok') throw new Error(`MIC refuses the manifest's arguments: ${JSON.stringify(outcome)}`);
      expect(outcome.config.cloudConfigPath).toBe('/etc/kubernetes/azure.json');
      const role = await getJson<{ rules: Rule[] }>(['clusterrole', 'podid-mic']);
      expect(role.rules.flatMap((rule) => rule.resources)).not.toContain('secrets');
      const namespaced = await getJson<{ rules: Rule[] }>(['role', 'podid-mic', '-n', 'default']);
      expect(namespaced.rules.flatMap((rule) => rule.resources).sort()).toEqual(['configmaps', 'leases']);
      const exception = await getJson<{ spec: { podLabels: Record<string, string> } }>([
        'azurepodidentityexception',
        'mic',
        '-n',
        'default',
      ]);
      expect(exception.spec.podLabels['app']).toBe('mic');
    });
  } else {
    test('managed mode runs no MIC', async () => {
      const deployments = await getJson<{ items: unknown[] }>(['deployments', '-A']);
      expect(deployments.items).toEqual([]);
      await expect(getJson(['clusterrole', 'podid-mic'])).rejects.toThrow(/not found/i);
    });
  }
});
