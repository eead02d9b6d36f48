/** Dependents are garbage-collected by ownerReferences: background (default), foreground and orphan propagation. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { eventually, kubeConfigFor } from './test-support/kube-client.js';
import { KubectlRunner, kubectlFound } from './test-support/kubectl-runner.js';

if (!kubectlFound) console.log('SKIP kube-emulator garbage-collection kubectl tests: kubectl not found on PATH');
const testWithKubectl = kubectlFound ? test : test.skip;

let emulator: KubeEmulator;
let core: k8s.CoreV1Api;
let kubectl: KubectlRunner;
const ns = 'gc';

beforeAll(async () => {
  emulator = await startKubeEmulator();
  core = kubeConfigFor(emulator).makeApiClient(k8s.CoreV1Api);
  kubectl = new KubectlRunner(emulator);
  await core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(async () => {
  await emulator?.close();
  kubectl?.cleanup();
});

async function owner(name: string): Promise<k8s.V1OwnerReference> {
  const cm = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
  return { apiVersion: 'v1', kind: 'ConfigMap', name, uid: cm.metadata!.uid!, blockOwnerDeletion: true };
}

async function dependent(name: string, owners: k8s.V1OwnerReference[], finalizers?: string[]): Promise<void> {
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name, ownerReferences: owners, ...(finalizers ? { finalizers } : {}) } },
  });
}

async function secret(name: string): Promise<k8s.V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace: ns, name });
  } catch (e) {
    if (e instanceof k8s.ApiException && e.code === 404) return undefined;
    throw e;
  }
}

async function configMap(name: string): Promise<k8s.V1ConfigMap | undefined> {
  try {
    return await core.readNamespacedConfigMap({ namespace: ns, name });
  } catch (e) {
    if (e instanceof k8s.ApiException && e.code === 404) return undefined;
    throw e;
  }
}

describe('garbage collection', () => {
  test('background (the default): dependents go after their owner; a dependent with a live owner stays', async () => {
    const a = await owner('bg-a');
    const b = await owner('bg-b');
    await dependent('bg-only-a', [a]);
    await dependent('bg-both', [a, b]);
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'bg-a' });
    await eventually(async () => (await secret('bg-only-a')) === undefined, 'bg-only-a collected');
    await eventually(
      async () => (await secret('bg-both'))?.metadata?.ownerReferences?.length === 1,
      'the dangling reference dropped',
    );
    expect((await secret('bg-both'))?.metadata?.ownerReferences?.[0]?.uid).toBe(b.uid);
  });

  test('foreground: the owner waits with the foregroundDeletion finalizer until its dependents are gone', async () => {
    const o = await owner('fg');
    await dependent('fg-held', [o], ['example.com/hold']);
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'fg', propagationPolicy: 'Foreground' });
    const waiting = await configMap('fg');
    expect(waiting?.metadata?.deletionTimestamp).toBeDefined();
    expect(waiting?.metadata?.finalizers).toEqual(['foregroundDeletion']);
    await eventually(
      async () => (await secret('fg-held'))?.metadata?.deletionTimestamp !== undefined,
      'dependent deleting',
    );
    expect(await configMap('fg')).toBeDefined();
    await core.patchNamespacedSecret(
      { namespace: ns, name: 'fg-held', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(async () => (await configMap('fg')) === undefined, 'owner gone after its dependent');
  });

  test('orphan: the owner goes, its dependents stay without the reference', async () => {
    const o = await owner('orph');
    await dependent('orph-kept', [o]);
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'orph', propagationPolicy: 'Orphan' });
    await eventually(async () => (await configMap('orph')) === undefined, 'owner gone');
    const kept = await secret('orph-kept');
    expect(kept).toBeDefined();
    expect(kept?.metadata?.ownerReferences).toBeUndefined();
  });

  test('an unknown propagationPolicy is 422 and deletes nothing', async () => {
    await owner('bad-policy');
    const res = await fetch(`${emulator.url}/api/v1/namespaces/${ns}/configmaps/bad-policy?propagationPolicy=Later`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Later": supported values: "Foreground", "Background", "Orphan", "nil"',
    );
    expect(await configMap('bad-policy')).toBeDefined();
  });

  testWithKubectl(
    'kubectl delete --cascade=foreground waits for a chain; --cascade=orphan keeps dependents',
    async () => {
      const top = await owner('chain-top');
      const mid = await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'chain-mid', ownerReferences: [top] } },
      });
      await dependent('chain-leaf', [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'chain-mid', uid: mid.metadata!.uid!, blockOwnerDeletion: true },
      ]);
      const run = await kubectl.run(
        'delete',
        'configmap',
        'chain-top',
        '-n',
        ns,
        '--cascade=foreground',
        '--timeout=20s',
      );
      expect(run).toMatchObject({ code: 0, stdout: 'configmap "chain-top" deleted\n' });
      await eventually(async () => (await secret('chain-leaf')) === undefined, 'the leaf collected');
      expect(await configMap('chain-mid')).toBeUndefined();

      const o = await owner('k-orph');
      await dependent('k-orph-kept', [o]);
      expect((await kubectl.run('delete', 'configmap', 'k-orph', '-n', ns, '--cascade=orphan')).code).toBe(0);
      await eventually(async () => (await configMap('k-orph')) === undefined, 'owner gone');
      expect((await secret('k-orph-kept'))?.metadata?.ownerReferences).toBeUndefined();
    },
  );
});
