/**
 * Server-side dry run (`dryRun=All`) on every write verb: the answer is the would-be object, validated like a real
 * write, and nothing is stored, no watch event is sent and no resourceVersion is consumed.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { widgetCrd } from './test-support/crd-fixtures.js';
import { kubeConfigFor } from './test-support/kube-client.js';
import { KubectlRunner, kubectlFound } from './test-support/kubectl-runner.js';
import { openWatch, type WatchReader } from './test-support/watch-reader.js';

if (!kubectlFound) console.log('SKIP kube-emulator dry-run kubectl tests: kubectl not found on PATH');
const testWithKubectl = kubectlFound ? test : test.skip;

let emulator: KubeEmulator;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;
let kubectl: KubectlRunner;
let watch: WatchReader;

beforeAll(async () => {
  emulator = await startKubeEmulator();
  const kc = kubeConfigFor(emulator);
  core = kc.makeApiClient(k8s.CoreV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  kubectl = new KubectlRunner(emulator);
  await kc
    .makeApiClient(k8s.ApiextensionsV1Api)
    .createCustomResourceDefinition({ body: structuredClone(widgetCrd) as k8s.V1CustomResourceDefinition });
  await core.createNamespace({ body: { metadata: { name: 'dry' } } });
  await core.createNamespacedConfigMap({ namespace: 'dry', body: { metadata: { name: 'kept' }, data: { a: '1' } } });
  watch = await openWatch(
    `${emulator.url}/api/v1/namespaces/dry/configmaps?watch=true&resourceVersion=${emulator.admin.resourceVersion}`,
  );
});
afterAll(async () => {
  watch?.close();
  await emulator?.close();
  kubectl?.cleanup();
});

/** Runs `fn` and checks it changed nothing: same resourceVersion, same stored configmaps, no watch event. */
async function changesNothing<T>(fn: () => Promise<T>): Promise<T> {
  const rvBefore = emulator.admin.resourceVersion;
  const before = await core.listNamespacedConfigMap({ namespace: 'dry' });
  const result = await fn();
  const after = await core.listNamespacedConfigMap({ namespace: 'dry' });
  expect(emulator.admin.resourceVersion).toBe(rvBefore);
  expect(after.items).toEqual(before.items);
  expect(watch.events).toEqual([]);
  return result;
}

describe('dryRun=All', () => {
  test('create answers the would-be object (uid, timestamps, defaults) without storing it', async () => {
    const secret = await changesNothing(() =>
      core.createNamespacedSecret({ namespace: 'dry', dryRun: 'All', body: { metadata: { name: 'nope' } } }),
    );
    expect(secret.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(secret.metadata?.creationTimestamp).toBeDefined();
    expect(secret.metadata?.resourceVersion).toBeUndefined();
    expect(secret.type).toBe('Opaque');
    await expect(core.readNamespacedSecret({ namespace: 'dry', name: 'nope' })).rejects.toMatchObject({ code: 404 });
  });

  test('create still validates: a bad name is 422 and an existing name 409', async () => {
    await expect(
      core.createNamespacedConfigMap({ namespace: 'dry', dryRun: 'All', body: { metadata: { name: 'Bad_Name' } } }),
    ).rejects.toMatchObject({ code: 422 });
    await expect(
      core.createNamespacedConfigMap({ namespace: 'dry', dryRun: 'All', body: { metadata: { name: 'kept' } } }),
    ).rejects.toMatchObject({ code: 409 });
  });

  test('update, merge patch and apply answer the changed object and store nothing', async () => {
    const live = await core.readNamespacedConfigMap({ namespace: 'dry', name: 'kept' });
    const updated = await changesNothing(() =>
      core.replaceNamespacedConfigMap({
        namespace: 'dry',
        name: 'kept',
        dryRun: 'All',
        body: { ...live, data: { a: '2' } },
      }),
    );
    expect(updated.data).toEqual({ a: '2' });
    expect(updated.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion);
    const patched = await changesNothing(() =>
      core.patchNamespacedConfigMap(
        { namespace: 'dry', name: 'kept', dryRun: 'All', body: { data: { b: '3' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(patched.data).toEqual({ a: '1', b: '3' });
    const applied = await changesNothing(() =>
      core.patchNamespacedConfigMap(
        {
          namespace: 'dry',
          name: 'new-by-apply',
          dryRun: 'All',
          fieldManager: 'tester',
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new-by-apply' }, data: { c: '4' } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
      ),
    );
    expect(applied.data).toEqual({ c: '4' });
  });

  test('status subresource writes are dry too', async () => {
    const custom0 = await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'dry',
      plural: 'widgets',
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } },
    });
    const rv = emulator.admin.resourceVersion;
    const answered = await custom.patchNamespacedCustomObjectStatus(
      {
        group: 'example.com',
        version: 'v1',
        namespace: 'dry',
        plural: 'widgets',
        name: 'w',
        dryRun: 'All',
        body: { status: { ready: true } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(answered.status).toEqual({ ready: true });
    expect(emulator.admin.resourceVersion).toBe(rv);
    const stored = await custom.getNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'dry',
      plural: 'widgets',
      name: 'w',
    });
    expect(stored.status).toBeUndefined();
    expect(stored.metadata.resourceVersion).toBe(custom0.metadata.resourceVersion);
  });

  test('delete and deletecollection answer as if deleted and keep everything', async () => {
    const status = await changesNothing(() =>
      core.deleteNamespacedConfigMap({ namespace: 'dry', name: 'kept', dryRun: 'All' }),
    );
    expect(status).toMatchObject({ status: 'Success', details: { name: 'kept', kind: 'configmaps' } });
    await changesNothing(() => core.deleteCollectionNamespacedConfigMap({ namespace: 'dry', dryRun: 'All' }));
    // A finalizer-held object is answered with a deletionTimestamp it does not get.
    await core.patchNamespacedConfigMap(
      { namespace: 'dry', name: 'kept', body: { metadata: { finalizers: ['example.com/hold'] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await watch.waitFor(1);
    watch.events.length = 0;
    // client-node decodes a delete's answer as a Status, so read the object over plain HTTP.
    const marked = await changesNothing(async () => {
      const res = await fetch(`${emulator.url}/api/v1/namespaces/dry/configmaps/kept?dryRun=All`, { method: 'DELETE' });
      return (await res.json()) as { metadata: { deletionTimestamp?: string } };
    });
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    const live = await core.readNamespacedConfigMap({ namespace: 'dry', name: 'kept' });
    expect(live.metadata?.deletionTimestamp).toBeUndefined();
  });

  test('a dry-run namespace deletion leaves the namespace Active', async () => {
    const ns = await core.deleteNamespace({ name: 'dry', dryRun: 'All' });
    expect((ns as k8s.V1Namespace).status?.phase).toBe('Terminating');
    await new Promise((r) => setImmediate(r));
    expect((await core.readNamespace({ name: 'dry' })).status?.phase).toBe('Active');
    expect((await core.listNamespacedConfigMap({ namespace: 'dry' })).items).toHaveLength(1);
  });

  test('an unknown dryRun value is refused with the real 422 on the options object', async () => {
    const res = await fetch(`${emulator.url}/api/v1/namespaces/dry/configmaps?dryRun=Foo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'x' } }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      reason: 'Invalid',
      message:
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Foo"}: supported values: "All"',
      details: {
        group: 'meta.k8s.io',
        kind: 'CreateOptions',
        causes: [{ reason: 'FieldValueNotSupported', field: 'dryRun' }],
      },
    });
    const del = await fetch(`${emulator.url}/api/v1/namespaces/dry/configmaps/kept?dryRun=All&dryRun=Later`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(422);
    expect(((await del.json()) as { message: string }).message).toContain('DeleteOptions.meta.k8s.io "" is invalid');
    await core.readNamespacedConfigMap({ namespace: 'dry', name: 'kept' });
  });
});

describe('kubectl --dry-run=server', () => {
  testWithKubectl('create, apply and delete report success and change nothing', async () => {
    const created = await changesNothing(() =>
      kubectl.run('create', 'configmap', 'via-kubectl', '-n', 'dry', '--from-literal=k=v', '--dry-run=server'),
    );
    expect(created).toMatchObject({ code: 0, stdout: 'configmap/via-kubectl created (server dry run)\n' });
    const file = kubectl.writeFile(
      'cm.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: dry\ndata:\n  k: v\n',
    );
    const applied = await changesNothing(() => kubectl.run('apply', '-f', file, '--dry-run=server'));
    expect(applied).toMatchObject({ code: 0, stdout: 'configmap/applied created (server dry run)\n' });
    const ssa = await changesNothing(() => kubectl.run('apply', '--server-side', '-f', file, '--dry-run=server'));
    expect(ssa).toMatchObject({ code: 0, stdout: 'configmap/applied serverside-applied (server dry run)\n' });
    const deleted = await changesNothing(() =>
      kubectl.run('delete', 'configmap', 'kept', '-n', 'dry', '--dry-run=server'),
    );
    expect(deleted.stdout).toBe('configmap "kept" deleted (server dry run)\n');
    expect(deleted.code).toBe(0);
  });
});
