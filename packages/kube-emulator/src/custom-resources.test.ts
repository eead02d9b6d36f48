import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { customResourceDefinitions } from '@podid/crd-types';
import { widgetCrd } from './test-support/crd-fixtures.js';
import { kubeConfigFor } from './test-support/kube-client.js';
import { openWatch } from './test-support/watch-reader.js';

let emulator: KubeEmulator;
let crds: k8s.ApiextensionsV1Api;
let custom: k8s.CustomObjectsApi;
const group = 'aadpodidentity.k8s.io';
const version = 'v1';

beforeAll(async () => {
  emulator = await startKubeEmulator();
  const kc = kubeConfigFor(emulator);
  crds = kc.makeApiClient(k8s.ApiextensionsV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  for (const crd of [...customResourceDefinitions, widgetCrd]) {
    await crds.createCustomResourceDefinition({ body: structuredClone(crd) as k8s.V1CustomResourceDefinition });
  }
});
afterAll(async () => {
  await emulator.close();
});

async function failure(fn: () => Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof k8s.ApiException) return { code: e.code, body: JSON.parse(e.body as string) };
    throw e;
  }
  throw new Error('expected the call to fail');
}

// biome-ignore lint/suspicious/noExplicitAny: discovery and table documents are read field by field.
async function getJson(path: string, accept = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(emulator.url + path, { headers: { accept } });
  return { status: res.status, body: await res.json() };
}

const identity = (name: string, clientID: string) => ({
  apiVersion: `${group}/${version}`,
  kind: 'AzureIdentity',
  metadata: { name, labels: { team: 'a' } },
  spec: {
    type: 0,
    clientID,
    resourceID: `/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
  },
});

describe('CustomResourceDefinitions', () => {
  test('a created CRD is Established and its resources appear in discovery', async () => {
    const crd = await crds.readCustomResourceDefinition({ name: 'azureidentities.aadpodidentity.k8s.io' });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const { body } = await getJson('/apis/aadpodidentity.k8s.io/v1');
    expect(body.resources.map((r: { name: string }) => r.name).sort()).toEqual([
      'azureassignedidentities',
      'azureidentities',
      'azureidentitybindings',
      'azurepodidentityexceptions',
    ]);
    expect(body.resources.every((r: { namespaced: boolean }) => r.namespaced)).toBe(true);
    const groups = await getJson('/apis');
    expect(groups.body.groups.map((g: { name: string }) => g.name)).toContain('aadpodidentity.k8s.io');
    const widgets = await getJson('/apis/example.com/v1');
    expect(widgets.body.resources.map((r: { name: string }) => r.name)).toEqual(['widgets', 'widgets/status']);
    expect(widgets.body.resources[0].shortNames).toEqual(['wd']);
  });

  test('an invalid CRD → 422', async () => {
    const bad = { ...widgetCrd, metadata: { name: 'wrong.example.com' } } as k8s.V1CustomResourceDefinition;
    const { code, body } = await failure(() => crds.createCustomResourceDefinition({ body: bad }));
    expect(code).toBe(422);
    expect(body['message']).toContain('must be spec.names.plural+"."+spec.group');
  });
});

describe('CustomObjectsApi', () => {
  const ns = 'default';
  const plural = 'azureidentities';

  test('CRUD with conflicts and 404s', async () => {
    const created = await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural,
      body: identity('id1', 'c1'),
    });
    expect(created.metadata.generation).toBe(1);
    expect(created.metadata.uid).toBeDefined();
    const dup = await failure(() =>
      custom.createNamespacedCustomObject({ group, version, namespace: ns, plural, body: identity('id1', 'c1') }),
    );
    expect(dup.code).toBe(409);
    expect(dup.body['message']).toBe('azureidentities.aadpodidentity.k8s.io "id1" already exists');
    expect(dup.body['details']).toEqual({ name: 'id1', group, kind: plural });

    const replaced = await custom.replaceNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural,
      name: 'id1',
      body: { ...created, spec: { ...created.spec, clientID: 'c2' } },
    });
    expect(replaced.spec.clientID).toBe('c2');
    expect(replaced.metadata.generation).toBe(2);
    const stale = await failure(() =>
      custom.replaceNamespacedCustomObject({
        group,
        version,
        namespace: ns,
        plural,
        name: 'id1',
        body: { ...created, spec: { clientID: 'c3' } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body['reason']).toBe('Conflict');

    const missing = await failure(() =>
      custom.getNamespacedCustomObject({ group, version, namespace: ns, plural, name: 'nope' }),
    );
    expect(missing.code).toBe(404);
    expect(missing.body['message']).toBe('azureidentities.aadpodidentity.k8s.io "nope" not found');

    const deleted = await custom.deleteNamespacedCustomObject({ group, version, namespace: ns, plural, name: 'id1' });
    expect(deleted.metadata.name).toBe('id1');
  });

  test('merge and JSON patch work; strategic merge patch is refused with 415', async () => {
    await custom.createNamespacedCustomObject({ group, version, namespace: ns, plural, body: identity('id2', 'c1') });
    const merged = await custom.patchNamespacedCustomObject(
      { group, version, namespace: ns, plural, name: 'id2', body: { spec: { clientID: 'merged' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(merged.spec).toMatchObject({ type: 0, clientID: 'merged' });
    const jsonPatched = await custom.patchNamespacedCustomObject(
      {
        group,
        version,
        namespace: ns,
        plural,
        name: 'id2',
        body: [{ op: 'add', path: '/metadata/labels/x', value: 'y' }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.metadata.labels).toEqual({ team: 'a', x: 'y' });
    const smp = await failure(() =>
      custom.patchNamespacedCustomObject(
        { group, version, namespace: ns, plural, name: 'id2', body: { spec: { clientID: 'x' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(smp.code).toBe(415);
    expect(smp.body['reason']).toBe('UnsupportedMediaType');
  });

  test('label selectors and limit/continue on custom objects', async () => {
    for (let i = 0; i < 6; i++) {
      await custom.createNamespacedCustomObject({
        group,
        version,
        namespace: ns,
        plural: 'azureidentitybindings',
        body: {
          apiVersion: `${group}/${version}`,
          kind: 'AzureIdentityBinding',
          metadata: { name: `b${i}`, labels: { n: String(i % 2) } },
          spec: { azureIdentity: 'id2', selector: `s${i}` },
        },
      });
    }
    const odd = await custom.listNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural: 'azureidentitybindings',
      labelSelector: 'n=1',
    });
    expect(odd.items.map((b: { metadata: { name: string } }) => b.metadata.name)).toEqual(['b1', 'b3', 'b5']);
    const page = await custom.listNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural: 'azureidentitybindings',
      limit: 4,
    });
    expect(page.items).toHaveLength(4);
    const rest = await custom.listNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural: 'azureidentitybindings',
      limit: 4,
      _continue: page.metadata.continue,
    });
    expect(rest.items).toHaveLength(2);
    expect(page.kind).toBe('AzureIdentityBindingList');
  });

  test('status subresource on a CRD that declares it; plain field on one that does not', async () => {
    const w = await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      body: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
        spec: { size: 1 },
        status: { ready: true },
      },
    });
    expect(w.status).toBeUndefined();
    const viaMain = await custom.patchNamespacedCustomObject(
      {
        group: 'example.com',
        version: 'v1',
        namespace: ns,
        plural: 'widgets',
        name: 'w1',
        body: { spec: { size: 2 }, status: { ready: true } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(viaMain.spec.size).toBe(2);
    expect(viaMain.status).toBeUndefined();
    const viaStatus = await custom.patchNamespacedCustomObjectStatus(
      {
        group: 'example.com',
        version: 'v1',
        namespace: ns,
        plural: 'widgets',
        name: 'w1',
        body: { spec: { size: 3 }, status: { ready: true } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(viaStatus.status).toEqual({ ready: true });
    expect(viaStatus.spec.size).toBe(2);
    expect(viaStatus.metadata.generation).toBe(2);

    // AzureAssignedIdentity has no status subresource: status is an ordinary field and /status is 404.
    const aai = await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural: 'azureassignedidentities',
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'AzureAssignedIdentity',
        metadata: { name: 'a1' },
        spec: {},
        status: { status: 'Created' },
      },
    });
    expect(aai.status).toEqual({ status: 'Created' });
    const noStatus = await failure(() =>
      custom.getNamespacedCustomObjectStatus({
        group,
        version,
        namespace: ns,
        plural: 'azureassignedidentities',
        name: 'a1',
      }),
    );
    expect(noStatus.code).toBe(404);
  });

  test('a status update never rewrites history: replay shows each change with its own resourceVersion', async () => {
    const before = emulator.admin.resourceVersion;
    const created = await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'hist' }, spec: { size: 1 } },
    });
    const updated = await custom.replaceNamespacedCustomObjectStatus({
      group: 'example.com',
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      name: 'hist',
      body: { ...created, status: { ready: true } },
    });
    const w = await openWatch(
      `${emulator.url}/apis/example.com/v1/namespaces/${ns}/widgets?watch=true&resourceVersion=${before}`,
    );
    try {
      const events = await w.waitFor(2);
      expect(events.map((e) => [e.type, e.object.metadata.resourceVersion, e.object.status])).toEqual([
        ['ADDED', created.metadata.resourceVersion, undefined],
        ['MODIFIED', updated.metadata.resourceVersion, { ready: true }],
      ]);
    } finally {
      w.close();
    }
  });

  test('server-side tables use the CRD printer columns', async () => {
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural,
      body: identity('tabled', 'client-xyz'),
    });
    const { body } = await getJson(
      `/apis/${group}/${version}/namespaces/${ns}/${plural}`,
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    );
    expect(body.kind).toBe('Table');
    expect(body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Type', 'ClientID', 'Age']);
    const row = body.rows.find((r: { cells: unknown[] }) => r.cells[0] === 'tabled');
    expect(row.cells.slice(0, 3)).toEqual(['tabled', 0, 'client-xyz']);
    expect(row.object.kind).toBe('PartialObjectMetadata');
    const plainList = await getJson(`/apis/${group}/${version}/namespaces/${ns}/${plural}`);
    expect(plainList.body.kind).toBe('AzureIdentityList');
  });

  test('deleting a CRD deletes its objects and stops serving the type', async () => {
    await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 1 } },
    });
    await crds.deleteCustomResourceDefinition({ name: 'widgets.example.com' });
    expect((await getJson('/apis/example.com/v1/namespaces/default/widgets')).status).toBe(404);
    await crds.createCustomResourceDefinition({ body: widgetCrd as k8s.V1CustomResourceDefinition });
    const list = await custom.listNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
    });
    expect(list.items).toEqual([]);
  });
});
