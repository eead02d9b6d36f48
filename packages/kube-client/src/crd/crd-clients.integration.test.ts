import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  ASSIGNED_IDENTITY_FINALIZER,
  type AzureAssignedIdentity,
  type AzureIdentity,
  type AzureIdentityBinding,
  type AzurePodIdentityException,
} from '@podid/crd-types';
import type { KubeEmulator } from '@podid/kube-emulator';
import type { KubeConnection } from '../connection/kube-connection.js';
import { EventRecorder, EventReason } from '../events/event-recorder.js';
import { createInvalidObjectReporter } from '../events/invalid-object-reporter.js';
import type { InvalidObjectReport } from '../invalid-object.js';
import { connectTo, rawRequest, startEmulatorWithCrds, clientNodeApis } from '../test-support/emulator-harness.js';
import { startRecordingProxy } from '../test-support/recording-proxy.js';
import { createCrdClients } from './crd-clients.js';

let emulator: KubeEmulator;
let connection: KubeConnection;
let clientNode: ReturnType<typeof clientNodeApis>;

beforeAll(async () => {
  emulator = await startEmulatorWithCrds(['crud', 'bad', 'paged']);
  connection = connectTo(emulator);
  clientNode = clientNodeApis(emulator);
});
afterAll(async () => {
  await emulator.close();
});

const identity = (name: string, clientID: string): AzureIdentity => ({
  metadata: { name, namespace: 'crud' },
  spec: {
    type: 0,
    resourceID: `/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
    clientID,
  },
});

const assigned = (name: string): AzureAssignedIdentity => ({
  metadata: { name, namespace: 'crud', labels: { nodename: 'node-1' } },
  spec: { pod: 'p', podNamespace: 'crud', nodename: 'node-1' },
  status: { status: 'Created', availableReplicas: 1 },
});

describe('typed CRD clients against kube-emulator', () => {
  test('list reads every page, in one namespace and across all', async () => {
    const proxy = await startRecordingProxy(emulator.url);
    try {
      const paged = connectTo(emulator, { url: proxy.url });
      const { identities } = createCrdClients({ connection: paged, listPageSize: 3 });
      for (let i = 0; i < 7; i++) {
        await identities.create({
          ...identity(`paged-${i}`, `00000000-0000-0000-0000-00000000010${i}`),
          metadata: { name: `paged-${i}`, namespace: 'paged' },
        });
      }
      proxy.requests.length = 0;
      const listed = await identities.list({ namespace: 'paged' });
      expect(listed.map((i) => i.metadata.name).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `paged-${i}`));
      const pages = proxy.requests.filter((r) => r.method === 'GET');
      expect(pages).toHaveLength(3);
      expect(pages.every((r) => r.url.includes('limit=3'))).toBe(true);
      expect(pages.filter((r) => r.url.includes('continue=')).length).toBe(2);
      const everywhere = await identities.list();
      expect(everywhere.filter((i) => i.metadata.namespace === 'paged')).toHaveLength(7);
    } finally {
      await proxy.close();
    }
  });

  test('AzureIdentity: create, get, list, replace, delete', async () => {
    const { identities } = createCrdClients({ connection });
    const created = await identities.create(identity('id-1', '00000000-0000-0000-0000-000000000001'));
    expect(created.apiVersion).toBe('aadpodidentity.k8s.io/v1');
    expect(created.kind).toBe('AzureIdentity');
    expect(created.metadata.resourceVersion).toBeTruthy();

    const fetched = await identities.get('crud', 'id-1');
    expect(fetched?.spec.clientID).toBe('00000000-0000-0000-0000-000000000001');
    expect((await identities.list({ namespace: 'crud' })).map((i) => i.metadata.name)).toEqual(['id-1']);

    const replaced = await identities.replace({ ...created, spec: { ...created.spec, clientID: 'changed' } });
    expect(replaced.spec.clientID).toBe('changed');
    // The stale copy carries the old resourceVersion: the PUT is conditional and fails with a conflict.
    await expect(identities.replace(created)).rejects.toMatchObject({ code: 'KUBE_REQUEST_FAILED', statusCode: 409 });

    await identities.delete('crud', 'id-1');
    expect(await identities.get('crud', 'id-1')).toBeUndefined();
    await expect(identities.delete('crud', 'id-1')).resolves.toBeUndefined(); // 404 counts as deleted
  });

  test('AzureIdentityBinding and AzurePodIdentityException round-trip, list across namespaces', async () => {
    const { bindings, exceptions } = createCrdClients({ connection });
    const binding: AzureIdentityBinding = {
      metadata: { name: 'b-1', namespace: 'crud' },
      spec: { azureIdentity: 'id-1', selector: 'web' },
    };
    const exception: AzurePodIdentityException = {
      metadata: { name: 'e-1', namespace: 'crud' },
      spec: { podLabels: { app: 'mic' } },
    };
    await bindings.create(binding);
    await exceptions.create(exception);
    expect((await bindings.list()).map((b) => `${b.metadata.namespace}/${b.metadata.name}`)).toEqual(['crud/b-1']);
    expect((await exceptions.get('crud', 'e-1'))?.spec.podLabels).toEqual({ app: 'mic' });
    await bindings.delete('crud', 'b-1');
    await exceptions.delete('crud', 'e-1');
    expect(await bindings.list({ namespace: 'crud' })).toEqual([]);
  });

  test('AzureAssignedIdentity: created with the finalizer, status patched in place, label-selected list', async () => {
    const { assignedIdentities } = createCrdClients({ connection });
    const created = await assignedIdentities.create(assigned('aai-1'));
    expect(created.metadata.finalizers).toEqual([ASSIGNED_IDENTITY_FINALIZER]);

    const updated = await assignedIdentities.updateStatus('crud', 'aai-1', 'Assigned');
    expect(updated.status?.status).toBe('Assigned');
    expect(updated.status?.availableReplicas).toBe(1);
    expect((await assignedIdentities.get('crud', 'aai-1'))?.status?.status).toBe('Assigned');

    // An object without any status (hand-made) still gets one.
    await assignedIdentities.create({
      ...assigned('aai-nostatus'),
      status: undefined,
    } as unknown as AzureAssignedIdentity);
    const patched = await assignedIdentities.updateStatus('crud', 'aai-nostatus', 'Unassigned');
    expect(patched.status?.status).toBe('Unassigned');

    expect((await assignedIdentities.list({ labelSelector: 'nodename=node-1' })).length).toBe(2);
    expect(await assignedIdentities.list({ labelSelector: 'nodename=node-2' })).toEqual([]);
  });

  test('AzureAssignedIdentity delete removes the finalizer so the object really goes, even from a stale copy', async () => {
    const { assignedIdentities } = createCrdClients({ connection });
    const created = await assignedIdentities.create(assigned('aai-del'));
    await assignedIdentities.deleteAndReleaseFinalizer('crud', 'aai-del');
    expect(await assignedIdentities.get('crud', 'aai-del')).toBeUndefined();

    // Stale cached copy: someone added another finalizer in front of ours after we cached it.
    const second = await assignedIdentities.create(assigned('aai-stale'));
    const current = (await assignedIdentities.get('crud', 'aai-stale'))!;
    await assignedIdentities.replace({
      ...current,
      metadata: { ...current.metadata, finalizers: ['example.com/other', ...(current.metadata.finalizers ?? [])] },
    });
    await assignedIdentities.deleteAndReleaseFinalizer('crud', 'aai-stale', second);
    const remaining = await assignedIdentities.get('crud', 'aai-stale');
    // Our finalizer is gone; the other one (not ours to remove) keeps the object terminating.
    expect(remaining?.metadata.finalizers).toEqual(['example.com/other']);
    expect(remaining?.metadata.deletionTimestamp).toBeTruthy();

    // Already gone: success without error.
    await expect(
      assignedIdentities.deleteAndReleaseFinalizer('crud', 'never-existed', created),
    ).resolves.toBeUndefined();
  });

  test('a release in two writes: Unassigned and the finalizer gone in one patch, then one DELETE that removes it', async () => {
    const { assignedIdentities } = createCrdClients({ connection });
    const created = await assignedIdentities.create(assigned('aai-release'));
    const unassigned = await assignedIdentities.unassignAndReleaseFinalizer('crud', 'aai-release', created);
    expect(unassigned?.status?.status).toBe('Unassigned');
    expect(unassigned?.status?.availableReplicas).toBe(1);
    expect(unassigned?.metadata.finalizers ?? []).toEqual([]);
    // With that copy the delete is a single request, and the object is gone at once.
    const proxy = await startRecordingProxy(emulator.url);
    try {
      const viaProxy = createCrdClients({ connection: connectTo(emulator, { url: proxy.url }) }).assignedIdentities;
      await viaProxy.deleteAndReleaseFinalizer('crud', 'aai-release', unassigned);
      expect(proxy.requests.map((r) => r.method)).toEqual(['DELETE']);
    } finally {
      await proxy.close();
    }
    expect(await assignedIdentities.get('crud', 'aai-release')).toBeUndefined();

    // A stale copy (another finalizer put in front of ours since): read again, ours removed, the other kept.
    const second = await assignedIdentities.create(assigned('aai-release-stale'));
    const current = (await assignedIdentities.get('crud', 'aai-release-stale'))!;
    await assignedIdentities.replace({
      ...current,
      metadata: { ...current.metadata, finalizers: ['example.com/other', ...(current.metadata.finalizers ?? [])] },
    });
    const patched = await assignedIdentities.unassignAndReleaseFinalizer('crud', 'aai-release-stale', second);
    expect(patched?.metadata.finalizers).toEqual(['example.com/other']);
    expect(patched?.status?.status).toBe('Unassigned');
    // Already gone: undefined, no error.
    await expect(
      assignedIdentities.unassignAndReleaseFinalizer('crud', 'never-existed', created),
    ).resolves.toBeUndefined();
  });

  test('a malformed object in the server is skipped with a hook call, a log line and a Warning event', async () => {
    const reports: InvalidObjectReport[] = [];
    const warnings: string[] = [];
    const recorder = new EventRecorder({ connection, host: 'test-host' });
    const reportEvent = createInvalidObjectReporter(recorder);
    const clients = createCrdClients({
      connection,
      logger: { debug() {}, info() {}, warn: (_o, msg) => warnings.push(msg), error() {} },
      onInvalidObject: (report) => {
        reports.push(report);
        reportEvent(report);
      },
    });
    await clients.identities.create({ ...identity('good', 'c1'), metadata: { name: 'good', namespace: 'bad' } });
    // The API server validates against the CRD schema, so a wrongly typed object exists only if it was stored under
    // a looser schema: loosen spec.type, store the object, restore the schema. podid must survive reading it.
    const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/azureidentities.aadpodidentity.k8s.io';
    // biome-ignore lint/suspicious/noExplicitAny: the CRD is edited as plain JSON.
    const crd = (await rawRequest(emulator, 'GET', crdPath)) as any;
    const strict = structuredClone(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.type);
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.type = {
      'x-kubernetes-int-or-string': true,
    };
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    const loosened = (await rawRequest(emulator, 'PUT', crdPath, crd)) as any;
    await rawRequest(emulator, 'POST', '/apis/aadpodidentity.k8s.io/v1/namespaces/bad/azureidentities', {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentity',
      metadata: { name: 'broken', namespace: 'bad' },
      spec: { type: 'zero' },
    });
    loosened.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.type = strict;
    await rawRequest(emulator, 'PUT', crdPath, loosened);

    const listed = await clients.identities.list({ namespace: 'bad' });
    expect(listed.map((i) => i.metadata.name)).toEqual(['good']);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'AzureIdentity', namespace: 'bad', name: 'broken', source: 'list' });
    expect(reports[0]?.error.path).toBe('spec.type');
    expect(warnings.some((w) => w.includes('skipping invalid object'))).toBe(true);

    await expect(clients.identities.get('bad', 'broken')).rejects.toMatchObject({ code: 'KUBE_INVALID_OBJECT' });

    await recorder.flush();
    const events = await clientNode.core.listNamespacedEvent({ namespace: 'bad' });
    const warning = events.items.find((e) => e.involvedObject.name === 'broken');
    expect(warning).toMatchObject({ type: 'Warning', reason: EventReason.InvalidObject });
    expect(warning?.involvedObject.kind).toBe('AzureIdentity');
    expect(warning?.message).toContain('spec.type');
  });
});
