/** The HTTP surface around the resources: discovery documents, body formats, deletecollection, unknown paths. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { kubeConfigFor } from './test-support/kube-client.js';

let emulator: KubeEmulator;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  emulator = await startKubeEmulator();
  core = kubeConfigFor(emulator).makeApiClient(k8s.CoreV1Api);
});
afterAll(async () => {
  await emulator.close();
});

interface AggregatedDiscovery {
  kind: string;
  items: { metadata: { name: string }; versions: { resources: { resource: string }[] }[] }[];
}

async function makeNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

describe('other request forms', () => {
  beforeAll(() => makeNamespace('misc'));

  test('deletecollection with a label selector deletes only the matching objects', async () => {
    for (const [name, keep] of [
      ['d1', 'no'],
      ['d2', 'no'],
      ['d3', 'yes'],
    ] as const) {
      await core.createNamespacedConfigMap({ namespace: 'misc', body: { metadata: { name, labels: { keep } } } });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'misc', labelSelector: 'keep=no' });
    const left = await core.listNamespacedConfigMap({ namespace: 'misc' });
    expect(left.items.map((c) => c.metadata?.name)).toEqual(['d3']);
  });

  test('events.k8s.io/v1 events are served', async () => {
    const events = kubeConfigFor(emulator).makeApiClient(k8s.EventsV1Api);
    await events.createNamespacedEvent({
      namespace: 'misc',
      body: {
        metadata: { name: 'e1' },
        eventTime: new k8s.V1MicroTime('2026-01-01T00:00:00.000000Z'),
        reason: 'Tested',
        action: 'Test',
        reportingController: 'podid/test',
        reportingInstance: 'test-1',
        type: 'Normal',
        regarding: { kind: 'Pod', name: 'x', namespace: 'misc' },
      },
    });
    expect((await events.listNamespacedEvent({ namespace: 'misc' })).items.map((e) => e.reason)).toEqual(['Tested']);
  });

  test('YAML bodies are accepted; protobuf bodies of kinds it cannot decode are refused with 415', async () => {
    const yamlRes = await fetch(`${emulator.url}/api/v1/namespaces/misc/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: 'metadata:\n  name: from-yaml\ndata:\n  k: v\n',
    });
    expect(yamlRes.status).toBe(201);
    const proto = await fetch(`${emulator.url}/api/v1/namespaces/misc/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
      body: new Uint8Array([0x6b, 0x38, 0x73, 0x00]),
    });
    expect(proto.status).toBe(415);
    expect(await proto.json()).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
  });

  test('unknown paths and methods get Status answers', async () => {
    const unknown = await fetch(`${emulator.url}/api/v1/widgets`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
    const badMethod = await fetch(`${emulator.url}/api/v1/namespaces/misc/configmaps`, { method: 'PUT', body: '{}' });
    expect(badMethod.status).toBe(405);
  });
});

describe('discovery', () => {
  // biome-ignore lint/suspicious/noExplicitAny: discovery documents are read field by field.
  const get = async (path: string): Promise<any> => (await fetch(emulator.url + path)).json();

  test('/version, /api and /api/v1 describe the built-in resources the way kubectl needs', async () => {
    expect(await get('/version')).toMatchObject({
      major: '1',
      minor: '32',
      gitVersion: expect.stringMatching(/^v1\.32\./),
    });
    expect(await get('/api')).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const v1 = await get('/api/v1');
    expect(v1).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    const byName = new Map<string, Record<string, unknown>>(v1.resources.map((r: { name: string }) => [r.name, r]));
    expect(byName.get('pods')).toMatchObject({
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      shortNames: ['po'],
    });
    expect(byName.get('pods')?.['verbs']).toEqual(
      expect.arrayContaining(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    );
    expect(byName.get('pods/status')).toMatchObject({
      namespaced: true,
      kind: 'Pod',
      verbs: ['get', 'patch', 'update'],
    });
    expect(byName.get('nodes')).toMatchObject({ namespaced: false, shortNames: ['no'] });
    expect(byName.get('namespaces')).toMatchObject({ namespaced: false, shortNames: ['ns'] });
    expect(byName.get('namespaces')?.['verbs']).not.toContain('deletecollection');
    for (const [name, short] of [
      ['configmaps', 'cm'],
      ['serviceaccounts', 'sa'],
      ['events', 'ev'],
    ]) {
      expect(byName.get(name!)?.['shortNames']).toEqual([short]);
    }
    expect(byName.has('secrets')).toBe(true);
  });

  test('/apis lists coordination, events and apiextensions groups', async () => {
    const groups = (await get('/apis')).groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['coordination.k8s.io', 'events.k8s.io', 'apiextensions.k8s.io']));
    const leases = await get('/apis/coordination.k8s.io/v1');
    expect(leases.resources).toEqual([expect.objectContaining({ name: 'leases', kind: 'Lease', namespaced: true })]);
    expect((await fetch(`${emulator.url}/apis/nope.example.com/v1`)).status).toBe(404);
  });

  test('aggregated discovery (apidiscovery.k8s.io/v2) for clients that ask for it first', async () => {
    const accept =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const coreRes = await fetch(`${emulator.url}/api`, { headers: { accept } });
    expect(coreRes.headers.get('content-type')).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    const coreDoc = (await coreRes.json()) as AggregatedDiscovery;
    expect(coreDoc).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    expect(coreDoc.items).toHaveLength(1);
    expect(coreDoc.items[0]!.metadata.name).toBe('');
    const pods = coreDoc.items[0]!.versions[0]!.resources.find((r: { resource: string }) => r.resource === 'pods');
    expect(pods).toMatchObject({
      responseKind: { group: '', version: 'v1', kind: 'Pod' },
      scope: 'Namespaced',
      singularResource: 'pod',
      shortNames: ['po'],
      subresources: [{ subresource: 'status', verbs: ['get', 'patch', 'update'] }],
    });
    const groups = (await (await fetch(`${emulator.url}/apis`, { headers: { accept } })).json()) as AggregatedDiscovery;
    expect(groups.items.map((g: { metadata: { name: string } }) => g.metadata.name)).toEqual(
      expect.arrayContaining(['coordination.k8s.io', 'apiextensions.k8s.io']),
    );
    // Without that preference the legacy documents are served.
    expect((await get('/apis')).kind).toBe('APIGroupList');
  });
});
