import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { AzureAssignedIdentity } from '@podid/crd-types';
import type { KubeEmulator } from '@podid/kube-emulator';
import type { KubeConnection } from '../connection/kube-connection.js';
import { createCrdClients } from '../crd/crd-clients.js';
import {
  connectTo,
  eventually,
  rawRequest,
  startEmulatorWithCrds,
  clientNodeApis,
} from '../test-support/emulator-harness.js';
import { createAssignedIdentityInformer, createNodeInformer, createPodInformer, podKey } from './typed-informers.js';

let emulator: KubeEmulator;
let connection: KubeConnection;
let clientNode: ReturnType<typeof clientNodeApis>;
const running: Array<{ stop(): Promise<void> }> = [];
/** Short backoff so recovery after injected faults happens within a test's patience. */
const fast = { initialBackoffMs: 20, maxBackoffMs: 200, healthyWatchMs: 200 };

beforeAll(async () => {
  emulator = await startEmulatorWithCrds(['apps', 'chaos']);
  connection = connectTo(emulator);
  clientNode = clientNodeApis(emulator);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((informer) => informer.stop()));
  emulator.admin.clearFaults();
});
afterAll(async () => {
  await emulator.close();
});

function track<T extends { start(): void; stop(): Promise<void> }>(informer: T): T {
  running.push(informer);
  informer.start();
  return informer;
}

async function createPod(namespace: string, name: string, node: string, ips: string[] = []): Promise<void> {
  await clientNode.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, namespace, labels: { aadpodidbinding: 'web' } },
      spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }] },
    },
  });
  if (ips.length > 0) {
    await clientNode.core.patchNamespacedPodStatus(
      { name, namespace, body: { status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })), phase: 'Running' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

/** namespace/name → resourceVersion, from the server itself. */
async function serverVersions(path: string, query = ''): Promise<Map<string, string>> {
  const list = (await rawRequest(emulator, 'GET', `${path}${query}`)) as {
    items: Array<{ metadata: { namespace: string; name: string; resourceVersion: string } }>;
  };
  return new Map(
    list.items.map((item) => [`${item.metadata.namespace}/${item.metadata.name}`, item.metadata.resourceVersion]),
  );
}

function cacheVersions(
  items: Array<{ metadata: { namespace: string; name: string; resourceVersion?: string | undefined } }>,
) {
  return new Map(
    items.map((item) => [`${item.metadata.namespace}/${item.metadata.name}`, item.metadata.resourceVersion ?? '']),
  );
}

describe('informers against kube-emulator', () => {
  test('NMI pod informer: node field selector, synced promise, indexes by IP (podIP and podIPs) and node', async () => {
    await createPod('apps', 'web-1', 'node-1', ['10.1.0.5', 'fd00::5']);
    await createPod('apps', 'web-2', 'node-2', ['10.1.0.6']);
    const pods = track(createPodInformer({ connection, nodeName: 'node-1', ...fast }));
    await pods.synced;
    expect(pods.list().map((p) => p.metadata.name)).toEqual(['web-1']);
    expect(pods.byIndex('byIP', '10.1.0.5').map((p) => p.metadata.name)).toEqual(['web-1']);
    expect(pods.byIndex('byIP', 'fd00::5').map((p) => p.metadata.name)).toEqual(['web-1']);
    expect(pods.byIndex('byIP', '10.1.0.6')).toEqual([]);

    const added: string[] = [];
    pods.onAdd((pod) => added.push(pod.metadata.name));
    await createPod('apps', 'web-3', 'node-1', ['10.1.0.7']);
    await createPod('apps', 'web-4', 'node-2', ['10.1.0.8']);
    await eventually(() => pods.byIndex('byIP', '10.1.0.7').length === 1, 'web-3 indexed by IP');
    expect(
      pods
        .byIndex('byNode', 'node-1')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['web-1', 'web-3']);
    expect(pods.byIndex('byNode', 'node-2')).toEqual([]);
    expect(added).toContain('web-3');
    expect(added).not.toContain('web-4');

    await clientNode.core.deleteNamespacedPod({ namespace: 'apps', name: 'web-3' });
    await eventually(() => pods.byIndex('byIP', '10.1.0.7').length === 0, 'web-3 removed from the IP index');
  });

  test('NMI assigned-identity informer (--enableScaleFeatures): nodename label selector and by-pod index', async () => {
    const { assignedIdentities } = createCrdClients({ connection });
    const make = (name: string, node: string, pod: string): AzureAssignedIdentity => ({
      metadata: { name, namespace: 'apps', labels: { nodename: node } },
      spec: { pod, podNamespace: 'apps', nodename: node },
      status: { status: 'Assigned' },
    });
    await assignedIdentities.create(make('web-1-apps-id', 'node-1', 'web-1'));
    await assignedIdentities.create(make('web-2-apps-id', 'node-2', 'web-2'));
    const informer = track(createAssignedIdentityInformer({ connection, nodeName: 'node-1', ...fast }));
    await informer.synced;
    expect(informer.list().map((a) => a.metadata.name)).toEqual(['web-1-apps-id']);
    expect(informer.byIndex('byPod', podKey('apps', 'web-1')).map((a) => a.status?.status)).toEqual(['Assigned']);

    await assignedIdentities.updateStatus('apps', 'web-1-apps-id', 'Unassigned');
    await eventually(
      () => informer.byIndex('byPod', podKey('apps', 'web-1'))[0]?.status?.status === 'Unassigned',
      'status update seen',
    );
    await assignedIdentities.create(make('web-5-apps-id', 'node-1', 'web-5'));
    await eventually(() => informer.byIndex('byPod', podKey('apps', 'web-5')).length === 1, 'new object seen');
    expect(informer.byIndex('byPod', podKey('apps', 'web-2'))).toEqual([]);
  });

  test('assigned-identity informer keeps one shared copy of each embedded identity and binding', async () => {
    const { assignedIdentities } = createCrdClients({ connection });
    const identity = (rv: string) => ({
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentity',
      metadata: { name: 'shared-id', namespace: 'apps', resourceVersion: rv },
      spec: { type: 0, resourceID: '/subscriptions/s/resourcegroups/rg/providers/x/shared-id', clientID: 'c' },
    });
    const binding = {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentityBinding',
      metadata: { name: 'shared-binding', namespace: 'apps', resourceVersion: '7' },
      spec: { azureIdentity: 'shared-id', selector: 'shared' },
    };
    const make = (pod: string, rv: string): AzureAssignedIdentity =>
      ({
        metadata: { name: `${pod}-apps-shared-id`, namespace: 'apps', labels: { nodename: 'node-9' } },
        spec: {
          azureIdentityRef: identity(rv),
          azureBindingRef: binding,
          pod,
          podNamespace: 'apps',
          nodename: 'node-9',
        },
        status: { status: 'Assigned' },
      }) as AzureAssignedIdentity;
    await assignedIdentities.create(make('share-1', '5'));
    await assignedIdentities.create(make('share-2', '5'));
    await assignedIdentities.create(make('share-3', '6'));
    const informer = track(createAssignedIdentityInformer({ connection, nodeName: 'node-9', ...fast }));
    await informer.synced;
    const spec = (pod: string) => informer.byIndex('byPod', podKey('apps', pod))[0]?.spec;
    // Same content: one object; the values are still exactly what the server holds.
    expect(spec('share-1')?.azureIdentityRef).toBe(spec('share-2')?.azureIdentityRef);
    expect(spec('share-1')?.azureBindingRef).toBe(spec('share-3')?.azureBindingRef);
    expect(spec('share-2')?.azureIdentityRef).toEqual(identity('5'));
    // Different content (another resourceVersion): its own object.
    expect(spec('share-3')?.azureIdentityRef).not.toBe(spec('share-1')?.azureIdentityRef);
    expect(spec('share-3')?.azureIdentityRef).toEqual(identity('6'));
    // A watched object shares the copy the list brought.
    await assignedIdentities.create(make('share-4', '5'));
    await eventually(() => spec('share-4') !== undefined, 'the new object seen');
    expect(spec('share-4')?.azureIdentityRef).toBe(spec('share-1')?.azureIdentityRef);
  });

  test('assigned-identity informer drops managedFields only, and a PUT of the cached object keeps the server-side fields', async () => {
    const { assignedIdentities } = createCrdClients({ connection });
    const path = '/apis/aadpodidentity.k8s.io/v1/namespaces/apps/azureassignedidentities/mf-1-apps-id';
    await assignedIdentities.create({
      metadata: {
        name: 'mf-1-apps-id',
        namespace: 'apps',
        labels: { nodename: 'node-mf' },
        annotations: { 'example.com/owner-note': 'kept' },
        finalizers: ['azureassignedidentity.finalizers.aadpodidentity.k8s.io'],
      },
      spec: { pod: 'mf-1', podNamespace: 'apps', nodename: 'node-mf' },
      status: { status: 'Assigned', availableReplicas: 1 },
    } as AzureAssignedIdentity);
    type Stored = AzureAssignedIdentity & {
      metadata: { managedFields?: Array<{ fieldsV1?: Record<string, unknown> }>; uid?: string };
    };
    const stored = (await rawRequest(emulator, 'GET', path)) as Stored;
    expect(stored.metadata.managedFields?.length).toBeGreaterThan(0);

    const informer = track(createAssignedIdentityInformer({ connection, ...fast }));
    await informer.synced;
    const cached = informer.get('apps', 'mf-1-apps-id') as Stored;
    // Everything but managedFields, exactly as stored.
    const { managedFields: _mf, ...storedMetadata } = stored.metadata;
    expect(cached).toEqual({ ...stored, metadata: storedMetadata });
    expect('managedFields' in cached.metadata).toBe(false);

    // MIC's update: PUT the cached object with a new node (kube-adapters' update = client.replace).
    await assignedIdentities.replace({
      ...cached,
      metadata: { ...cached.metadata, labels: { nodename: 'node-mf2' } },
      spec: { ...cached.spec, nodename: 'node-mf2' },
    });
    const after = (await rawRequest(emulator, 'GET', path)) as Stored;
    expect(after.spec.nodename).toBe('node-mf2');
    expect(after.metadata.annotations).toEqual({ 'example.com/owner-note': 'kept' });
    expect(after.metadata.finalizers).toEqual(['azureassignedidentity.finalizers.aadpodidentity.k8s.io']);
    expect(after.metadata.uid).toBe(stored.metadata.uid);
    // The server still tracks who owns the annotation: the PUT without managedFields did not wipe them.
    const owned = JSON.stringify(after.metadata.managedFields ?? []);
    expect(owned).toContain('f:annotations');
    // The watched update is cached without managedFields too.
    await eventually(() => informer.get('apps', 'mf-1-apps-id')?.spec.nodename === 'node-mf2', 'update seen');
    expect('managedFields' in (informer.get('apps', 'mf-1-apps-id') as Stored).metadata).toBe(false);
  });

  test('assigned-identity and MIC pod informers keep one instance of labels, finalizers and status that repeat', async () => {
    const { assignedIdentities } = createCrdClients({ connection });
    for (const pod of ['rep-1', 'rep-2'])
      await assignedIdentities.create({
        metadata: {
          name: `${pod}-apps-id`,
          namespace: 'apps',
          labels: { nodename: 'node-rep' },
          finalizers: ['azureassignedidentity.finalizers.aadpodidentity.k8s.io'],
        },
        spec: { pod, podNamespace: 'apps', nodename: 'node-rep' },
        status: { status: 'Assigned', availableReplicas: 1 },
      } as AzureAssignedIdentity);
    const informer = track(createAssignedIdentityInformer({ connection, nodeName: 'node-rep', ...fast }));
    await informer.synced;
    const [one, two] = ['rep-1', 'rep-2'].map((pod) => informer.byIndex('byPod', podKey('apps', pod))[0]!);
    expect(one!.metadata.labels).toBe(two!.metadata.labels);
    expect(one!.metadata.finalizers).toBe(two!.metadata.finalizers);
    expect(one!.status).toBe(two!.status);
    expect(one!.status).toEqual({ status: 'Assigned', availableReplicas: 1 });

    await createPod('apps', 'rep-pod-1', 'node-rep');
    await createPod('apps', 'rep-pod-2', 'node-rep');
    const pods = track(createPodInformer({ connection, requireBindingLabel: true, matchingFieldsOnly: true, ...fast }));
    await pods.synced;
    const [p1, p2] = ['rep-pod-1', 'rep-pod-2'].map((name) => pods.get('apps', name)!);
    expect(p1!.metadata.labels).toBe(p2!.metadata.labels);
    expect(p1!.metadata.labels).toEqual({ aadpodidbinding: 'web' });
  });

  test('MIC pod informer sees only pods carrying the aadpodidbinding label', async () => {
    await clientNode.core.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: { name: 'unlabelled', namespace: 'apps' },
        spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'x' }] },
      },
    });
    const pods = track(createPodInformer({ connection, requireBindingLabel: true, ...fast }));
    await pods.synced;
    const names = pods.list().map((p) => p.metadata.name);
    expect(names).toContain('web-1');
    expect(names).not.toContain('unlabelled');
  });

  test('MIC pod informer with matchingFieldsOnly caches only what matching reads, on list and on watch', async () => {
    await clientNode.core.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: {
          name: 'slim-1',
          namespace: 'apps',
          labels: { aadpodidbinding: 'web', app: 'a' },
          annotations: { a: 'b' },
        },
        spec: {
          nodeName: 'node-3',
          serviceAccountName: 'web-sa',
          containers: [{ name: 'c', image: 'x', env: [{ name: 'E', value: 'v' }] }],
        },
      },
    });
    const full = track(createPodInformer({ connection, requireBindingLabel: true, ...fast }));
    const pods = track(createPodInformer({ connection, requireBindingLabel: true, matchingFieldsOnly: true, ...fast }));
    await Promise.all([full.synced, pods.synced]);
    // Without the option the whole pod is cached (the baseline this option changes).
    expect(full.get('apps', 'slim-1')?.spec).toHaveProperty('containers');
    const listed = pods.get('apps', 'slim-1');
    const server = (await rawRequest(emulator, 'GET', '/api/v1/namespaces/apps/pods/slim-1')) as {
      metadata: { uid: string; resourceVersion: string };
    };
    expect(listed).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'slim-1',
        namespace: 'apps',
        uid: server.metadata.uid,
        resourceVersion: server.metadata.resourceVersion,
        labels: { aadpodidbinding: 'web', app: 'a' },
      },
      // The service account stays: MIC's federated credentials are keyed by it.
      spec: { nodeName: 'node-3', serviceAccountName: 'web-sa' },
      status: { phase: 'Pending' },
    });
    // A watched change arrives trimmed too, with the fields MIC's change filter compares.
    const changes: Array<{ phase: string | undefined; containers: unknown }> = [];
    pods.onChange((change) => {
      if (change.object.metadata.name === 'slim-1')
        changes.push({ phase: change.object.status?.phase, containers: change.object.spec?.['containers'] });
    });
    await clientNode.core.patchNamespacedPodStatus(
      { name: 'slim-1', namespace: 'apps', body: { status: { phase: 'Running', podIP: '10.0.0.9' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(() => changes.length > 0, 'the status change to reach the informer');
    expect(changes[0]).toEqual({ phase: 'Running', containers: undefined });
    expect(pods.get('apps', 'slim-1')?.status).toEqual({ phase: 'Running' });
  });

  test('MIC node informer with mappingFieldsOnly keeps name, uid, resourceVersion, labels and providerID only', async () => {
    const providerID = 'azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-slim';
    await rawRequest(emulator, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'slim-node', labels: { agentpool: 'a' }, annotations: { big: 'x'.repeat(1000) } },
      spec: { providerID, podCIDR: '10.244.0.0/24' },
      status: {
        images: [{ names: ['registry.example/a:1'], sizeBytes: 1 }],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
    const full = track(createNodeInformer({ connection, ...fast }));
    const nodes = track(createNodeInformer({ connection, mappingFieldsOnly: true, ...fast }));
    await Promise.all([full.synced, nodes.synced]);
    expect(full.get(undefined, 'slim-node')).toHaveProperty('status.images');
    const server = (await rawRequest(emulator, 'GET', '/api/v1/nodes/slim-node')) as {
      metadata: { uid: string; resourceVersion: string };
    };
    expect(nodes.get(undefined, 'slim-node')).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'slim-node',
        uid: server.metadata.uid,
        resourceVersion: server.metadata.resourceVersion,
        labels: { agentpool: 'a' },
      },
      spec: { providerID },
    });
  });

  test('caches converge on the server after random changes under forced watch closes, 410s and failing requests', async () => {
    let lists = 0;
    const counting: KubeConnection = {
      ...connection,
      getJson: (path, query) => {
        lists += 1;
        return connection.getJson(path, query);
      },
    };
    const errors: unknown[] = [];
    const pods = track(createPodInformer({ connection: counting, ...fast }));
    const { assignedIdentities } = createCrdClients({ connection });
    const assigned = track(createAssignedIdentityInformer({ connection: counting, ...fast }));
    pods.onError((error) => errors.push(error));
    assigned.onError((error) => errors.push(error));
    await Promise.all([pods.synced, assigned.synced]);

    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const live = new Set<string>();
    for (let step = 0; step < 60; step++) {
      const name = `chaos-${random(15)}`;
      if (live.has(name)) {
        if (random(2) === 0) {
          await clientNode.core.deleteNamespacedPod({ namespace: 'chaos', name });
          await assignedIdentities.deleteAndReleaseFinalizer('chaos', name);
          live.delete(name);
        } else {
          await clientNode.core.patchNamespacedPod(
            { namespace: 'chaos', name, body: { metadata: { labels: { step: String(step) } } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
          await assignedIdentities.updateStatus('chaos', name, step % 2 === 0 ? 'Assigned' : 'Unassigned');
        }
      } else {
        await createPod('chaos', name, `node-${random(3)}`, [`10.9.0.${step + 1}`]);
        await assignedIdentities.create({
          metadata: { name, namespace: 'chaos', labels: { nodename: 'node-1' } },
          spec: { pod: name, podNamespace: 'chaos', nodename: 'node-1' },
          status: { status: 'Created' },
        });
        live.add(name);
      }
      switch (step % 10) {
        case 2:
          emulator.admin.closeAllWatches();
          break;
        case 4:
          emulator.admin.expireNextWatch(2);
          emulator.admin.closeAllWatches();
          break;
        case 6:
          emulator.admin.failNextRequests({ count: 2, status: 500, verb: 'watch' });
          emulator.admin.closeAllWatches();
          break;
        case 8:
          emulator.admin.failNextRequests({ count: 1, status: 429, verb: 'list', retryAfterSeconds: 0 });
          emulator.admin.compactHistory();
          emulator.admin.closeAllWatches();
          break;
      }
    }

    await eventually(async () => {
      // An injected fault may still be pending and hit these reads too; then just look again.
      const [serverPods, serverAssigned] = await Promise.all([
        serverVersions('/api/v1/pods'),
        serverVersions('/apis/aadpodidentity.k8s.io/v1/azureassignedidentities'),
      ]).catch(() => [new Map(), new Map()]);
      return (
        JSON.stringify([...serverPods].sort()) === JSON.stringify([...cacheVersions(pods.list())].sort()) &&
        JSON.stringify([...serverAssigned].sort()) === JSON.stringify([...cacheVersions(assigned.list())].sort())
      );
    }, 'caches equal to the server');
    // The faults really happened: failed watches were reported, 410s forced relists beyond the two initial lists.
    expect(errors.length).toBeGreaterThan(0);
    expect(lists).toBeGreaterThan(2);
    // The IP index agrees with the cache after all that churn.
    for (const pod of pods.list()) {
      const ip = pod.status?.podIP;
      if (ip) expect(pods.byIndex('byIP', ip).map((p) => p.metadata.name)).toEqual([pod.metadata.name]);
    }
  });

  test('stop() ends the watch for good: no reconnect after faults', async () => {
    const pods = createPodInformer({ connection, ...fast });
    pods.start();
    await pods.synced;
    await eventually(() => emulator.admin.openWatches === 1, 'watch open');
    await pods.stop();
    await eventually(() => emulator.admin.openWatches === 0, 'watch closed by the client');
    emulator.admin.closeAllWatches();
    emulator.admin.expireNextWatch(1);
    await createPod('apps', 'after-stop', 'node-1');
    // Ten times the longest backoff: a resurrected loop would have reconnected by now.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(emulator.admin.openWatches).toBe(0);
    expect(pods.get('apps', 'after-stop')).toBeUndefined();
    expect(pods.stopped).toBe(true);
  });
});
