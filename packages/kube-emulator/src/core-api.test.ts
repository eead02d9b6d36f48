import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { eventually, kubeConfigFor } from './test-support/kube-client.js';

let emulator: KubeEmulator;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  emulator = await startKubeEmulator();
  core = kubeConfigFor(emulator).makeApiClient(k8s.CoreV1Api);
});
afterAll(async () => {
  await emulator.close();
});

/** Runs `fn`, expects an ApiException, returns its code and parsed Status body. */
// biome-ignore lint/suspicious/noExplicitAny: Status bodies are read field by field in assertions.
async function failure(fn: () => Promise<unknown>): Promise<{ code: number; body: Record<string, any> }> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof k8s.ApiException) return { code: e.code, body: JSON.parse(e.body as string) };
    throw e;
  }
  throw new Error('expected the call to fail');
}

const podBody = (name: string, extra: Partial<k8s.V1Pod> = {}): k8s.V1Pod => ({
  metadata: { name, labels: { app: 'web' }, ...extra.metadata },
  spec: { containers: [{ name: 'app', image: 'app:1' }], ...extra.spec },
});

async function makeNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

describe('CoreV1Api CRUD', () => {
  beforeAll(() => makeNamespace('crud'));

  test('default namespaces exist at start', async () => {
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system']));
  });

  test('create sets uid, creationTimestamp, resourceVersion; pod status starts Pending', async () => {
    const created = await core.createNamespacedPod({ namespace: 'crud', body: podBody('p1') });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(created.status?.phase).toBe('Pending');
    const read = await core.readNamespacedPod({ namespace: 'crud', name: 'p1' });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
  });

  test('resourceVersion increases globally across types', async () => {
    const a = await core.createNamespacedConfigMap({
      namespace: 'crud',
      body: { metadata: { name: 'cm1' }, data: { k: 'v' } },
    });
    const b = await core.createNamespacedSecret({
      namespace: 'crud',
      body: { metadata: { name: 's1' }, stringData: { k: 'v' } },
    });
    expect(Number(b.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
  });

  test('generateName produces a unique name with the prefix', async () => {
    const a = await core.createNamespacedPod({
      namespace: 'crud',
      body: { ...podBody(''), metadata: { generateName: 'gen-' } },
    });
    const b = await core.createNamespacedPod({
      namespace: 'crud',
      body: { ...podBody(''), metadata: { generateName: 'gen-' } },
    });
    expect(a.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(a.metadata?.name).not.toBe(b.metadata?.name);
  });

  test('create of an existing name → 409 AlreadyExists Status', async () => {
    const { code, body } = await failure(() => core.createNamespacedPod({ namespace: 'crud', body: podBody('p1') }));
    expect(code).toBe(409);
    expect(body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "p1" already exists',
      reason: 'AlreadyExists',
      details: { name: 'p1', kind: 'pods' },
      code: 409,
    });
  });

  test('get of a missing object → 404 NotFound Status', async () => {
    const { code, body } = await failure(() => core.readNamespacedPod({ namespace: 'crud', name: 'nope' }));
    expect(code).toBe(404);
    expect(body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      message: 'pods "nope" not found',
      code: 404,
    });
  });

  test('create in a missing namespace → 404 namespaces "x" not found', async () => {
    const { code, body } = await failure(() => core.createNamespacedPod({ namespace: 'missing', body: podBody('p') }));
    expect(code).toBe(404);
    expect(body).toMatchObject({
      reason: 'NotFound',
      message: 'namespaces "missing" not found',
      details: { name: 'missing', kind: 'namespaces' },
    });
  });

  test('invalid names → 422 Invalid with causes', async () => {
    const { code, body } = await failure(() =>
      core.createNamespacedPod({ namespace: 'crud', body: podBody('Bad_Name') }),
    );
    expect(code).toBe(422);
    expect(body['reason']).toBe('Invalid');
    expect(body['message']).toMatch(
      /^Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    expect(body['details'].causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'metadata.name' });
    const missing = await failure(() => core.createNamespacedConfigMap({ namespace: 'crud', body: { metadata: {} } }));
    expect(missing.code).toBe(422);
    expect(missing.body['message']).toContain('name or generateName is required');
  });

  test('PUT with a stale resourceVersion → 409 Conflict; with the current one → updated', async () => {
    const cm = await core.readNamespacedConfigMap({ namespace: 'crud', name: 'cm1' });
    const updated = await core.replaceNamespacedConfigMap({
      namespace: 'crud',
      name: 'cm1',
      body: { ...cm, data: { k: 'v2' } },
    });
    expect(updated.data).toEqual({ k: 'v2' });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(cm.metadata?.resourceVersion));
    const { code, body } = await failure(() =>
      core.replaceNamespacedConfigMap({ namespace: 'crud', name: 'cm1', body: { ...cm, data: { k: 'v3' } } }),
    );
    expect(code).toBe(409);
    expect(body['reason']).toBe('Conflict');
    expect(body['message']).toBe(
      'Operation cannot be fulfilled on configmaps "cm1": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  test('a no-op update keeps the resourceVersion (no write)', async () => {
    const cm = await core.readNamespacedConfigMap({ namespace: 'crud', name: 'cm1' });
    const same = await core.replaceNamespacedConfigMap({ namespace: 'crud', name: 'cm1', body: cm });
    expect(same.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });

  test('delete answers like the real registries: the Pod for pods, a Success Status for secrets', async () => {
    const secret = await core.readNamespacedSecret({ namespace: 'crud', name: 's1' });
    const status = await core.deleteNamespacedSecret({ namespace: 'crud', name: 's1' });
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 's1', kind: 'secrets', uid: secret.metadata?.uid },
    });
    expect((await failure(() => core.readNamespacedSecret({ namespace: 'crud', name: 's1' }))).code).toBe(404);
    const pod = await core.deleteNamespacedPod({ namespace: 'crud', name: 'p1' });
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata?.name).toBe('p1');
  });

  test('cluster-scoped nodes and serviceaccounts, events work', async () => {
    await core.createNode({
      body: {
        metadata: { name: 'node-a', labels: { zone: 'z1' } },
        status: { addresses: [{ type: 'InternalIP', address: '10.1.0.4' }] },
      },
    });
    const node = await core.readNode({ name: 'node-a' });
    expect(node.status?.addresses?.[0]?.address).toBe('10.1.0.4');
    await core.createNamespacedServiceAccount({ namespace: 'crud', body: { metadata: { name: 'sa1' } } });
    await core.createNamespacedEvent({
      namespace: 'crud',
      body: {
        metadata: { name: 'ev1' },
        involvedObject: { kind: 'Pod', name: 'p1', namespace: 'crud' },
        reason: 'Tested',
        type: 'Normal',
        message: 'hi',
      },
    });
    const events = await core.listNamespacedEvent({ namespace: 'crud', fieldSelector: 'involvedObject.name=p1' });
    expect(events.items.map((e) => e.reason)).toEqual(['Tested']);
  });
});

describe('patches', () => {
  beforeAll(async () => {
    await makeNamespace('patch');
    await core.createNamespacedPod({
      namespace: 'patch',
      body: podBody('pp', {
        spec: {
          containers: [
            { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] },
            { name: 'side', image: 'side:1' },
          ],
        },
      }),
    });
  });

  test('strategic merge patch merges containers by name', async () => {
    const patched = await core.patchNamespacedPod(
      { namespace: 'patch', name: 'pp', body: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=app:2', 'side=side:1']);
    expect(patched.spec?.containers[0]?.env).toEqual([{ name: 'A', value: '1' }]);
  });

  test('merge patch replaces lists and merges maps', async () => {
    const patched = await core.patchNamespacedPod(
      { namespace: 'patch', name: 'pp', body: { metadata: { labels: { extra: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.labels).toEqual({ app: 'web', extra: 'yes' });
  });

  test('JSON patch applies operations; a failing test op → 422', async () => {
    const patched = await core.patchNamespacedPod(
      { namespace: 'patch', name: 'pp', body: [{ op: 'replace', path: '/metadata/labels/app', value: 'api' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(patched.metadata?.labels?.['app']).toBe('api');
    const { code } = await failure(() =>
      core.patchNamespacedPod(
        { namespace: 'patch', name: 'pp', body: [{ op: 'test', path: '/metadata/labels/app', value: 'nope' }] },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      ),
    );
    expect(code).toBe(422);
  });

  test('a patch carrying a stale resourceVersion → 409 Conflict', async () => {
    const { code } = await failure(() =>
      core.patchNamespacedPod(
        { namespace: 'patch', name: 'pp', body: { metadata: { resourceVersion: '1', labels: { x: 'y' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(code).toBe(409);
  });

  test('status subresource: the main resource ignores status, /status changes only status', async () => {
    const viaMain = await core.patchNamespacedPod(
      { namespace: 'patch', name: 'pp', body: { status: { phase: 'Running' }, metadata: { labels: { m: '1' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(viaMain.status?.phase).toBe('Pending');
    expect(viaMain.metadata?.labels?.['m']).toBe('1');
    const viaStatus = await core.patchNamespacedPodStatus(
      {
        namespace: 'patch',
        name: 'pp',
        body: { status: { phase: 'Running', podIP: '10.0.0.9' }, metadata: { labels: { m: '2' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(viaStatus.status?.phase).toBe('Running');
    expect(viaStatus.metadata?.labels?.['m']).toBe('1');
    const current = await core.readNamespacedPod({ namespace: 'patch', name: 'pp' });
    const replaced = await core.replaceNamespacedPodStatus({
      namespace: 'patch',
      name: 'pp',
      body: { ...current, status: { ...current.status, phase: 'Succeeded' } },
    });
    expect(replaced.status?.phase).toBe('Succeeded');
  });

  test('patching a missing object → 404', async () => {
    const { code } = await failure(() =>
      core.patchNamespacedConfigMap(
        { namespace: 'patch', name: 'missing', body: { data: { a: 'b' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(code).toBe(404);
  });
});

describe('list: selectors and pagination', () => {
  beforeAll(async () => {
    await makeNamespace('lists');
    for (let i = 0; i < 25; i++) {
      const node = `node-${i % 3}`;
      const created = await core.createNamespacedPod({
        namespace: 'lists',
        body: podBody(`pod-${String(i).padStart(2, '0')}`, {
          metadata: { labels: { app: i % 2 === 0 ? 'even' : 'odd', tier: i < 10 ? 'low' : 'high' } },
          spec: { nodeName: node, containers: [{ name: 'c', image: 'i' }] },
        }),
      });
      if (i < 5) {
        await core.patchNamespacedPodStatus(
          {
            namespace: 'lists',
            name: created.metadata!.name!,
            body: { status: { phase: 'Running', podIP: `10.0.0.${i}` } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
      }
    }
  });

  const names = (list: k8s.V1PodList) => list.items.map((p) => p.metadata?.name);

  test('label selectors: =, !=, in, notin, exists, !key', async () => {
    expect((await core.listNamespacedPod({ namespace: 'lists', labelSelector: 'app=even' })).items).toHaveLength(13);
    expect((await core.listNamespacedPod({ namespace: 'lists', labelSelector: 'app!=even' })).items).toHaveLength(12);
    expect(
      (await core.listNamespacedPod({ namespace: 'lists', labelSelector: 'app=even,tier in (low)' })).items,
    ).toHaveLength(5);
    expect(
      (await core.listNamespacedPod({ namespace: 'lists', labelSelector: 'tier notin (low)' })).items,
    ).toHaveLength(15);
    expect((await core.listNamespacedPod({ namespace: 'lists', labelSelector: 'tier' })).items).toHaveLength(25);
    expect((await core.listNamespacedPod({ namespace: 'lists', labelSelector: '!tier' })).items).toHaveLength(0);
  });

  test('field selectors: spec.nodeName, status.phase, status.podIP, metadata.name, across namespaces', async () => {
    expect((await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1' })).items).toHaveLength(8);
    expect(
      (await core.listNamespacedPod({ namespace: 'lists', fieldSelector: 'status.phase=Running' })).items,
    ).toHaveLength(5);
    expect(
      (await core.listNamespacedPod({ namespace: 'lists', fieldSelector: 'status.phase!=Running' })).items,
    ).toHaveLength(20);
    expect(names(await core.listNamespacedPod({ namespace: 'lists', fieldSelector: 'status.podIP=10.0.0.3' }))).toEqual(
      ['pod-03'],
    );
    expect(
      names(await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name==pod-07,metadata.namespace=lists' })),
    ).toEqual(['pod-07']);
    const { code, body } = await failure(() =>
      core.listNamespacedPod({ namespace: 'lists', fieldSelector: 'spec.bogus=1' }),
    );
    expect(code).toBe(400);
    expect(body['message']).toBe('field label not supported: spec.bogus');
  });

  test('limit/continue pages through everything once, in name order', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedPod({
        namespace: 'lists',
        limit: 10,
        ...(token ? { _continue: token } : {}),
      });
      seen.push(...(names(page) as string[]));
      token = page.metadata?._continue;
      pages++;
      if (token) expect(page.metadata?.remainingItemCount).toBe(25 - seen.length);
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(25);
  });

  test('limit with a selector pages over the matching objects only', async () => {
    const first = await core.listNamespacedPod({ namespace: 'lists', labelSelector: 'app=odd', limit: 5 });
    const second = await core.listNamespacedPod({
      namespace: 'lists',
      labelSelector: 'app=odd',
      limit: 5,
      _continue: first.metadata!._continue!,
    });
    const third = await core.listNamespacedPod({
      namespace: 'lists',
      labelSelector: 'app=odd',
      limit: 5,
      _continue: second.metadata!._continue!,
    });
    expect([...names(first), ...names(second), ...names(third)]).toHaveLength(12);
    expect(third.metadata?._continue).toBeFalsy();
  });
});

describe('finalizers and namespace deletion', () => {
  beforeAll(() => makeNamespace('fin'));

  test('an object with finalizers gets deletionTimestamp and goes away when the last finalizer is removed', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'fin',
      body: { metadata: { name: 'held', finalizers: ['example.com/a', 'example.com/b'] } },
    });
    await core.deleteNamespacedConfigMap({ namespace: 'fin', name: 'held' });
    const marked = await core.readNamespacedConfigMap({ namespace: 'fin', name: 'held' });
    expect(marked.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await core.patchNamespacedConfigMap(
      { namespace: 'fin', name: 'held', body: [{ op: 'remove', path: '/metadata/finalizers/0' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect((await core.readNamespacedConfigMap({ namespace: 'fin', name: 'held' })).metadata?.finalizers).toEqual([
      'example.com/b',
    ]);
    await core.patchNamespacedConfigMap(
      { namespace: 'fin', name: 'held', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect((await failure(() => core.readNamespacedConfigMap({ namespace: 'fin', name: 'held' }))).code).toBe(404);
  });

  test('delete preconditions: a wrong uid → 409', async () => {
    await core.createNamespacedConfigMap({ namespace: 'fin', body: { metadata: { name: 'pre' } } });
    const { code } = await failure(() =>
      core.deleteNamespacedConfigMap({
        namespace: 'fin',
        name: 'pre',
        body: { preconditions: { uid: 'not-the-uid' } },
      }),
    );
    expect(code).toBe(409);
  });

  test('deleting a namespace removes its objects, waits for finalizers, then the namespace', async () => {
    await makeNamespace('doomed');
    await core.createNamespacedPod({ namespace: 'doomed', body: podBody('a') });
    await core.createNamespacedConfigMap({
      namespace: 'doomed',
      body: { metadata: { name: 'kept', finalizers: ['example.com/x'] } },
    });
    const ns = await core.deleteNamespace({ name: 'doomed' });
    expect((ns as k8s.V1Namespace).status?.phase).toBe('Terminating');
    await eventually(
      async () => (await core.listNamespacedPod({ namespace: 'doomed' })).items.length === 0,
      'pods removed',
    );
    const createWhileTerminating = await failure(() =>
      core.createNamespacedPod({ namespace: 'doomed', body: podBody('late') }),
    );
    expect(createWhileTerminating.code).toBe(403);
    expect(createWhileTerminating.body['message']).toContain('because it is being terminated');
    expect((await core.readNamespace({ name: 'doomed' })).status?.phase).toBe('Terminating');
    await core.patchNamespacedConfigMap(
      { namespace: 'doomed', name: 'kept', body: { metadata: { finalizers: [] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(
      async () => (await core.listNamespace()).items.every((n) => n.metadata?.name !== 'doomed'),
      'namespace removed',
    );
  });

  test('default and kube-system cannot be deleted', async () => {
    const { code } = await failure(() => core.deleteNamespace({ name: 'kube-system' }));
    expect(code).toBe(403);
  });
});
