/**
 * The built MIC with a federated identity (type 3) next to a user-assigned one (type 0) on the same VMSS, whose ARM
 * updates take 10 minutes here: the federated pod's AzureAssignedIdentity is Assigned while the type-0 one is still
 * waiting for ARM, and its identity never appears in any VM/VMSS PATCH.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, MicWorld, requireBuiltMic } from './test-support/mic-world.js';

beforeAll(() => requireBuiltMic());

describe('MIC process: a federated identity needs no ARM update', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start({ scaleSetUpdateMs: 600_000 });
  });
  afterAll(async () => {
    await world.close();
  });

  test('type 3 goes straight to Assigned while type 0 on the same VMSS waits; no PATCH names it', async () => {
    const [node0, node1] = await world.scaleSet('pool-f', 2);
    await world.createIdentityAndBinding('slow-identity', 'slow');
    const app = world.identity('fed-identity');
    await world.request('POST', '/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureidentities', {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentity',
      metadata: { name: 'fed-identity', namespace: 'default' },
      spec: { type: 3, clientID: app.clientId, tenantID: 'tenant-1', resourceID: app.resourceId },
    });
    await world.request('POST', '/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureidentitybindings', {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentityBinding',
      metadata: { name: 'fed-binding', namespace: 'default' },
      spec: { azureIdentity: 'fed-identity', selector: 'fed' },
    });
    // Both pods exist before MIC starts, so its first cycle plans them together (MIC runs one cycle at a time: a pod
    // created while a cycle waits on this 10-minute update would be planned only after it).
    await world.createPod('slow-0', node0 as string, 'slow');
    await world.createPod('fed-0', node1 as string, 'fed');
    const mic = world.startMic(['--clientQps=100']);
    await mic.waitForLine(/sync loop started/);

    const byPod = async () =>
      Object.fromEntries((await world.assignedIdentities()).map((a) => [a.spec.pod, a.status?.status ?? '']));
    const states = await eventually('the federated pod Assigned', async () => {
      const current = await byPod();
      return current['fed-0'] === 'Assigned' && current['slow-0'] !== undefined ? current : undefined;
    });
    // The VMSS update for the type-0 identity takes 10 minutes: only type 3 could be Assigned by now.
    expect(states['slow-0']).toBe('Created');
    const patches = await eventually('the type-0 identity PATCH', async () => {
      const log = world.azure.admin.patchLog();
      return log.length > 0 ? log : undefined;
    });
    expect((await byPod())['slow-0']).toBe('Created');
    for (const patch of patches) expect(JSON.stringify(patch.body).toLowerCase()).not.toContain('fed-identity');
    expect(world.scaleSetIdentities('pool-f')).not.toContain(app.resourceId.toLowerCase());

    await mic.stop('SIGKILL');
  });
});

describe('MIC process: a federated identity alone', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('assigned and released without any VM/VMSS request', async () => {
    const [node] = await world.scaleSet('pool-g', 1);
    const app = world.identity('fed-only');
    await world.request('POST', '/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureidentities', {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentity',
      metadata: { name: 'fed-only', namespace: 'default' },
      spec: { type: 3, clientID: app.clientId, tenantID: 'tenant-1' },
    });
    await world.request('POST', '/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureidentitybindings', {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentityBinding',
      metadata: { name: 'fed-only-binding', namespace: 'default' },
      spec: { azureIdentity: 'fed-only', selector: 'fed-only' },
    });
    const mic = world.startMic(['--clientQps=100']);
    await mic.waitForLine(/sync loop started/);
    world.azure.admin.resetCounters();
    await world.createPod('fed-only-0', node as string, 'fed-only');
    await eventually('Assigned', async () => {
      const items = await world.assignedIdentities();
      return items.length === 1 && items[0]?.status?.status === 'Assigned' ? true : undefined;
    });
    await world.deletePod('fed-only-0');
    await eventually('released', async () => ((await world.assignedIdentities()).length === 0 ? true : undefined));
    const counts = world.azure.admin.requestCounts();
    for (const kind of ['vm_get', 'vm_update', 'vmss_get', 'vmss_update']) expect(counts[kind] ?? 0).toBe(0);
    expect(world.azure.admin.patchLog()).toEqual([]);
    expect(await mic.stop()).toBe(0);
  });
});
