import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { kubeConfigFor } from './test-support/kube-client.js';
import { openWatch, type WatchReader } from './test-support/watch-reader.js';

let emulator: KubeEmulator;
let core: k8s.CoreV1Api;
const open: WatchReader[] = [];

beforeAll(async () => {
  emulator = await startKubeEmulator({ historySize: 50, bookmarkIntervalMs: 20 });
  core = kubeConfigFor(emulator).makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'w' } } });
});
afterEach(() => {
  for (const w of open.splice(0)) w.close();
});
afterAll(async () => {
  await emulator.close();
});

async function watch(path: string, headers?: Record<string, string>): Promise<WatchReader> {
  const w = await openWatch(emulator.url + path, headers);
  open.push(w);
  return w;
}

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const cm = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels }, data: { v: '0' } });
const summary = (events: { type: string; object: { metadata: { name: string } } }[]) =>
  events.map((e) => `${e.type} ${e.object.metadata.name}`);

describe('watch', () => {
  test('without resourceVersion: synthetic ADDED for the current state, then live changes', async () => {
    await core.createNamespacedConfigMap({ namespace: 'w', body: cm('pre') });
    const w = await watch('/api/v1/namespaces/w/configmaps?watch=true');
    await w.waitFor(1);
    await core.createNamespacedConfigMap({ namespace: 'w', body: cm('live') });
    await core.patchNamespacedConfigMap({ namespace: 'w', name: 'live', body: { data: { v: '1' } } }, merge);
    await core.deleteNamespacedConfigMap({ namespace: 'w', name: 'live' });
    const events = await w.waitFor(4);
    expect(summary(events)).toEqual(['ADDED pre', 'ADDED live', 'MODIFIED live', 'DELETED live']);
    const rvs = events.slice(1).map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(w.status).toBe(200);
  });

  test('from a resourceVersion: replays exactly the later changes', async () => {
    const base = await core.createNamespacedConfigMap({ namespace: 'w', body: cm('r1') });
    await core.patchNamespacedConfigMap({ namespace: 'w', name: 'r1', body: { data: { v: '2' } } }, merge);
    await core.createNamespacedConfigMap({ namespace: 'w', body: cm('r2') });
    const w = await watch(
      `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${base.metadata!.resourceVersion}`,
    );
    expect(summary(await w.waitFor(2))).toEqual(['MODIFIED r1', 'ADDED r2']);
  });

  test('a too old resourceVersion → ERROR event with a 410 Expired Status', async () => {
    const first = await core.createNamespacedConfigMap({ namespace: 'w', body: cm('old') });
    for (let i = 0; i < 60; i++)
      await core.patchNamespacedConfigMap({ namespace: 'w', name: 'old', body: { data: { v: String(i) } } }, merge);
    const w = await watch(
      `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${first.metadata!.resourceVersion}`,
    );
    const [event] = await w.waitFor(1);
    expect(event!.type).toBe('ERROR');
    expect(event!.object).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
    });
    expect(event!.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    await w.ended;
  });

  test('selectors: objects that stop matching are DELETED, those that start matching are ADDED', async () => {
    await core.createNamespacedConfigMap({ namespace: 'w', body: cm('sel', { role: 'a' }) });
    const w = await watch('/api/v1/namespaces/w/configmaps?watch=true&labelSelector=role%3Da');
    await w.waitFor(1);
    await core.patchNamespacedConfigMap(
      { namespace: 'w', name: 'sel', body: { metadata: { labels: { role: 'b' } } } },
      merge,
    );
    await core.patchNamespacedConfigMap({ namespace: 'w', name: 'sel', body: { data: { v: 'ignored' } } }, merge);
    await core.patchNamespacedConfigMap(
      { namespace: 'w', name: 'sel', body: { metadata: { labels: { role: 'a' } } } },
      merge,
    );
    const events = await w.waitFor(3);
    expect(summary(events)).toEqual(['ADDED sel', 'DELETED sel', 'ADDED sel']);
    // The DELETED carries the object as it last matched, with the resourceVersion of the change.
    expect(events[1]!.object.metadata.labels.role).toBe('a');
    expect(Number(events[1]!.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(events[0]!.object.metadata.resourceVersion),
    );
  });

  test('field selector spec.nodeName across namespaces', async () => {
    const w = await watch('/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dnode-w');
    const pod = (name: string, nodeName: string) => ({
      metadata: { name },
      spec: { nodeName, containers: [{ name: 'c', image: 'i' }] },
    });
    await core.createNamespacedPod({ namespace: 'w', body: pod('elsewhere', 'node-x') });
    await core.createNamespacedPod({ namespace: 'w', body: pod('here', 'node-w') });
    expect(summary(await w.waitFor(1))).toEqual(['ADDED here']);
  });

  test('allowWatchBookmarks sends BOOKMARK events carrying the current resourceVersion', async () => {
    const w = await watch('/api/v1/namespaces/w/secrets?watch=true&allowWatchBookmarks=true&resourceVersion=0');
    const [bookmark] = await w.waitFor(1);
    expect(bookmark!.type).toBe('BOOKMARK');
    expect(bookmark!.object).toEqual({
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { resourceVersion: expect.stringMatching(/^\d+$/) },
    });
  });

  test('timeoutSeconds ends the stream', async () => {
    const w = await watch('/api/v1/namespaces/w/secrets?watch=true&timeoutSeconds=1');
    await w.ended;
    expect(w.events).toEqual([]);
  });

  test('legacy /watch/ paths', async () => {
    await core.createNamespacedServiceAccount({ namespace: 'w', body: { metadata: { name: 'legacy' } } });
    // The namespace's `default` ServiceAccount is left out so only the test's own object is seen.
    const w = await watch('/api/v1/watch/namespaces/w/serviceaccounts?fieldSelector=metadata.name!%3Ddefault');
    expect(summary(await w.waitFor(1))).toEqual(['ADDED legacy']);
  });

  test('Table watches carry column definitions in the first event', async () => {
    const w = await watch('/api/v1/namespaces/w/serviceaccounts?watch=true&fieldSelector=metadata.name!%3Ddefault', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    await core.createNamespacedServiceAccount({ namespace: 'w', body: { metadata: { name: 'tabled' } } });
    const events = await w.waitFor(2);
    expect(events[0]!.object.kind).toBe('Table');
    expect(events[0]!.object.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'Name',
      'Secrets',
      'Age',
    ]);
    expect(events[1]!.object.columnDefinitions).toBeNull();
    expect(events[1]!.object.rows[0].cells[0]).toBe('tabled');
  });

  test('client-node makeInformer lists, then follows changes for its label selector', async () => {
    const kc = kubeConfigFor(emulator);
    await core.createNamespacedConfigMap({ namespace: 'w', body: cm('inf-before', { informer: 'yes' }) });
    const informer = k8s.makeInformer(
      kc,
      '/api/v1/namespaces/w/configmaps',
      () => core.listNamespacedConfigMap({ namespace: 'w', labelSelector: 'informer=yes' }),
      'informer=yes',
    );
    const added: string[] = [];
    const deleted: string[] = [];
    informer.on('add', (o) => added.push(o.metadata!.name!));
    informer.on('delete', (o) => deleted.push(o.metadata!.name!));
    informer.on('error', () => {});
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'w', body: cm('inf-after', { informer: 'yes' }) });
      await core.createNamespacedConfigMap({ namespace: 'w', body: cm('inf-other', { informer: 'no' }) });
      await core.patchNamespacedConfigMap(
        { namespace: 'w', name: 'inf-before', body: { metadata: { labels: { informer: 'no' } } } },
        merge,
      );
      const deadline = Date.now() + 10_000;
      while (deleted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(added).toEqual(['inf-before', 'inf-after']);
      expect(deleted).toEqual(['inf-before']);
      expect(informer.list('w').map((o) => o.metadata?.name)).toEqual(['inf-after']);
    } finally {
      await informer.stop();
    }
  });

  test('client-node Watch receives typed events', async () => {
    const seen: string[] = [];
    const kc = kubeConfigFor(emulator);
    let resolveSeen: () => void = () => {};
    const gotIt = new Promise<void>((r) => {
      resolveSeen = r;
    });
    const controller = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces/w/configmaps',
      { labelSelector: 'via=client-node' },
      (type, obj: k8s.V1ConfigMap) => {
        seen.push(`${type} ${obj.metadata?.name}`);
        if (seen.length === 2) resolveSeen();
      },
      () => {},
    );
    await core.createNamespacedConfigMap({ namespace: 'w', body: cm('cn', { via: 'client-node' }) });
    await core.deleteNamespacedConfigMap({ namespace: 'w', name: 'cn' });
    await gotIt;
    controller.abort();
    expect(seen).toEqual(['ADDED cn', 'DELETED cn']);
  });
});

describe('fault injection', () => {
  afterEach(() => emulator.admin.clearFaults());

  test('closeAllWatches ends open streams', async () => {
    const w = await watch('/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=0');
    await w.waitFor(1);
    expect(emulator.admin.closeAllWatches()).toBeGreaterThanOrEqual(1);
    await w.ended;
  });

  test('expireNextWatch answers the next watch with ERROR 410', async () => {
    emulator.admin.expireNextWatch();
    const w = await watch('/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=0');
    const [event] = await w.waitFor(1);
    expect(event!.type).toBe('ERROR');
    expect(event!.object.code).toBe(410);
    await w.ended;
    const again = await watch('/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=0');
    expect((await again.waitFor(1))[0]!.type).toBe('ADDED');
  });

  test('failNextRequests: 429 with Retry-After, filtered by verb and resource, then success', async () => {
    emulator.admin.failNextRequests({
      count: 2,
      status: 429,
      verb: 'list',
      resource: 'configmaps',
      retryAfterSeconds: 3,
    });
    const unaffected = await fetch(`${emulator.url}/api/v1/namespaces/w/secrets`);
    expect(unaffected.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${emulator.url}/api/v1/namespaces/w/configmaps`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('3');
      expect(await res.json()).toMatchObject({
        kind: 'Status',
        reason: 'TooManyRequests',
        code: 429,
        details: { retryAfterSeconds: 3 },
      });
    }
    expect((await fetch(`${emulator.url}/api/v1/namespaces/w/configmaps`)).status).toBe(200);
  });

  test('500 faults surface as ApiException in client-node', async () => {
    emulator.admin.failNextRequests({ count: 1, status: 500, verb: 'create' });
    await expect(core.createNamespacedConfigMap({ namespace: 'w', body: cm('boom') })).rejects.toMatchObject({
      code: 500,
    });
    await expect(core.createNamespacedConfigMap({ namespace: 'w', body: cm('boom') })).resolves.toBeDefined();
  });

  test('faults can be set over HTTP at /__emulator/*', async () => {
    const set = await fetch(`${emulator.url}/__emulator/fail-requests`, {
      method: 'POST',
      body: JSON.stringify({ count: 1, status: 500, resource: 'secrets' }),
    });
    expect(set.status).toBe(200);
    expect((await fetch(`${emulator.url}/api/v1/namespaces/w/secrets`)).status).toBe(500);
    expect((await fetch(`${emulator.url}/api/v1/namespaces/w/secrets`)).status).toBe(200);
    const bad = await fetch(`${emulator.url}/__emulator/fail-requests`, {
      method: 'POST',
      body: JSON.stringify({ count: 0, status: 500 }),
    });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${emulator.url}/__emulator/nope`, { method: 'POST' });
    expect(unknown.status).toBe(404);
  });

  test('latency delays requests but they still succeed', async () => {
    emulator.admin.setLatency(5);
    expect((await fetch(`${emulator.url}/api/v1/namespaces`)).status).toBe(200);
    expect(() => emulator.admin.setLatency(-1)).toThrow(RangeError);
  });
});
