/**
 * Bad input, told (issues 14 and 15 item 11): the built MIC against kube-emulator and azure-emulator. Each invalid
 * object gets one Warning Event (on itself and on the affected pod) and one log line naming it, and nothing is
 * assigned or sent to ARM for it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, IDENTITY_RG, MicWorld, NODE_RG, requireBuiltMic, SUBSCRIPTION } from './test-support/mic-world.js';

beforeAll(() => requireBuiltMic());

interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string };
}

async function events(world: MicWorld): Promise<KubeEvent[]> {
  const list = (await world.request('GET', '/api/v1/events')) as { items: KubeEvent[] };
  return list.items;
}

function eventsFor(all: KubeEvent[], kind: string, name: string, reason?: string): KubeEvent[] {
  return all.filter(
    (event) =>
      event.involvedObject?.kind === kind &&
      event.involvedObject.name === name &&
      (reason === undefined || event.reason === reason),
  );
}

const API = '/apis/aadpodidentity.k8s.io/v1/namespaces/default';

async function createIdentity(world: MicWorld, name: string, spec: Record<string, unknown> | undefined) {
  await world.request('POST', `${API}/azureidentities`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentity',
    metadata: { name, namespace: 'default' },
    ...(spec === undefined ? {} : { spec }),
  });
}

async function createBinding(world: MicWorld, name: string, spec: Record<string, unknown> | undefined) {
  await world.request('POST', `${API}/azureidentitybindings`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentityBinding',
    metadata: { name, namespace: 'default' },
    ...(spec === undefined ? {} : { spec }),
  });
}

describe('MIC process: invalid identities and bindings', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('each is skipped with one Warning Event on it and on its pod, one log line, and no ARM call', async () => {
    const [node] = await world.scaleSet('bad-input', 1);
    const real = world.identity('real');
    // Type 0 without clientID: upstream assigned it and NMI then handed out the node's own identity.
    await createIdentity(world, 'no-client-id', { type: 0, resourceID: real.resourceId });
    await createIdentity(world, 'no-resource-id', { type: 0, clientID: real.clientId });
    await createIdentity(world, 'bad-resource-id', {
      type: 0,
      clientID: real.clientId,
      resourceID: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${IDENTITY_RG}/providers/Microsoft.Compute/virtualMachines/vm`,
    });
    await createIdentity(world, 'empty-spec', {});
    await createIdentity(world, 'sp-no-secret', { type: 1, tenantID: 't', clientID: real.clientId });
    const cases = ['no-client-id', 'no-resource-id', 'bad-resource-id', 'empty-spec', 'sp-no-secret'];
    for (const name of cases) await createBinding(world, `${name}-binding`, { azureIdentity: name, selector: name });
    await createBinding(world, 'ghost-binding', { azureIdentity: 'ghost', selector: 'ghost' });
    await createBinding(world, 'specless-binding', undefined);
    for (const name of [...cases, 'ghost']) await world.createPod(`${name}-pod`, node as string, name);

    world.azure.admin.resetCounters();
    const mic = world.startMic(['--clientQps=100']);
    await mic.waitForLine(/sync loop started/);

    const expectedIdentityText: Record<string, string> = {
      'no-client-id': 'without spec.clientID',
      'no-resource-id': 'without spec.resourceID',
      'bad-resource-id': 'invalid resource id',
      'empty-spec': 'spec is empty',
      'sp-no-secret': 'spec.clientPassword.name',
    };
    await eventually('a Warning on every invalid object and affected pod', async () => {
      const all = await events(world);
      const complete =
        cases.every((name) => eventsFor(all, 'AzureIdentity', name, 'InvalidAzureIdentity').length === 1) &&
        eventsFor(all, 'AzureIdentityBinding', 'ghost-binding', 'AzureIdentityNotFound').length === 1 &&
        eventsFor(all, 'AzureIdentityBinding', 'specless-binding', 'InvalidAzureIdentityBinding').length === 1 &&
        [...cases, 'ghost'].every((name) => eventsFor(all, 'Pod', `${name}-pod`, 'IdentityNotAssigned').length === 1);
      return complete ? true : undefined;
    });
    // More cycles meet the same bad input: a new pod of the missing identity runs one, and is told itself.
    await world.createPod('trigger-pod', node as string, 'ghost');
    await eventually('the cycle the new pod started', async () =>
      eventsFor(await events(world), 'Pod', 'trigger-pod', 'IdentityNotAssigned').length === 1 ? true : undefined,
    );

    const all = await events(world);
    for (const name of cases) {
      const [event] = eventsFor(all, 'AzureIdentity', name);
      expect(eventsFor(all, 'AzureIdentity', name)).toHaveLength(1);
      expect(event).toMatchObject({ type: 'Warning', reason: 'InvalidAzureIdentity', count: 1 });
      expect(event?.message).toContain(`AzureIdentity default/${name}: `);
      expect(event?.message).toContain(expectedIdentityText[name]);
      const [podEvent] = eventsFor(all, 'Pod', `${name}-pod`);
      expect(podEvent).toMatchObject({ type: 'Warning', reason: 'IdentityNotAssigned', count: 1 });
      expect(podEvent?.involvedObject?.uid).toBeTruthy(); // kubectl describe selects by uid
    }
    expect(eventsFor(all, 'AzureIdentityBinding', 'ghost-binding')[0]?.message).toBe(
      'AzureIdentityBinding default/ghost-binding names AzureIdentity ghost, which does not exist in namespace default (or is ignored as malformed: see its events)',
    );
    expect(eventsFor(all, 'AzureIdentityBinding', 'specless-binding')[0]?.message).toBe(
      'AzureIdentityBinding default/specless-binding has no spec.azureIdentity and spec.selector; it binds nothing',
    );

    // One log line per object, naming it.
    for (const name of cases) {
      const lines = mic.lines.filter((line) => line.includes(`"object":"AzureIdentity/default/${name}"`));
      expect(lines).toHaveLength(1);
    }
    expect(
      mic.lines.filter((line) => line.includes('"object":"AzureIdentityBinding/default/ghost-binding"')),
    ).toHaveLength(1);

    // Nothing assigned, nothing asked of ARM (or IMDS) for any of it.
    expect(await world.assignedIdentities()).toEqual([]);
    expect(world.azure.admin.patchLog()).toEqual([]);
    const counts = world.azure.admin.requestCounts();
    expect(counts['vmss_update'] ?? 0).toBe(0);
    expect(counts['imds_token'] ?? 0).toBe(0);
    expect(world.scaleSetIdentities('bad-input')).toEqual([]);
    expect(await mic.stop()).toBe(0);
  }, 60_000);

  test('an unknown identity type (7) is refused by the API server or ignored by MIC with an Event; never assigned', async () => {
    const [node] = await world.scaleSet('type-seven', 1);
    const real = world.identity('seven');
    let refusedByServer = false;
    try {
      await createIdentity(world, 'type-seven', { type: 7, clientID: real.clientId, resourceID: real.resourceId });
    } catch (error) {
      // A kube-emulator that validates against the CRD's enum refuses it, as a real API server does.
      expect(String(error)).toMatch(/-> 422/);
      refusedByServer = true;
    }
    await createBinding(world, 'type-seven-binding', { azureIdentity: 'type-seven', selector: 'seven' });
    await world.createPod('seven-pod', node as string, 'seven');
    const mic = world.startMic(['--clientQps=100']);
    await mic.waitForLine(/sync loop started/);
    await eventually('the pod told why it gets nothing', async () => {
      const all = await events(world);
      return eventsFor(all, 'Pod', 'seven-pod', 'IdentityNotAssigned').length === 1 ? all : undefined;
    });
    const all = await events(world);
    if (!refusedByServer) {
      expect(eventsFor(all, 'AzureIdentity', 'type-seven', 'invalid object')[0]?.message).toContain(
        'unknown identity type',
      );
    }
    expect((await world.assignedIdentities()).filter((a) => a.spec.pod === 'seven-pod')).toEqual([]);
    expect(world.scaleSetIdentities('type-seven')).toEqual([]);
    expect(await mic.stop()).toBe(0);
  }, 60_000);
});

describe('MIC process: nodes whose VM or VMSS cannot be found', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('a node without providerID and a node of a VMSS ARM lacks: assignments stay Created, one Warning on node and pod', async () => {
    await world.createIdentityAndBinding('lost-identity', 'lost');
    await world.request('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'no-provider' } });
    await world.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'gone-vmss-0' },
      spec: {
        providerID: `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/${NODE_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/gone-vmss/virtualMachines/0`,
      },
    });
    await world.createPod('lost-a', 'no-provider', 'lost');
    await world.createPod('lost-b', 'gone-vmss-0', 'lost');
    const mic = world.startMic(['--clientQps=100']);
    await mic.waitForLine(/sync loop started/);

    await eventually('Warnings on both nodes and both pods', async () => {
      const all = await events(world);
      const complete =
        eventsFor(all, 'Node', 'no-provider', 'AzureVmNotFound').length === 1 &&
        eventsFor(all, 'Node', 'gone-vmss-0', 'AzureVmNotFound').length === 1 &&
        eventsFor(all, 'Pod', 'lost-a', 'IdentityAssignFailed').length === 1 &&
        eventsFor(all, 'Pod', 'lost-b', 'IdentityAssignFailed').length === 1;
      if (process.env['DEBUG_EVENTS'] && !complete)
        console.log(
          JSON.stringify(all.map((e) => [e.involvedObject?.name, e.reason, e.message])),
          mic.lines.slice(-8).join('\n'),
        );
      return complete ? true : undefined;
    });
    const statuses = (await world.assignedIdentities()).map((a) => a.status?.status);
    expect(statuses).toEqual(['Created', 'Created']);
    // MIC retries the targets (back-off); later failures are not told again on the node or the pod.
    await eventually('a second, retried ARM attempt', async () =>
      mic.lines.filter((line) => line.includes('identity update on ARM did not fully succeed')).length >= 3
        ? true
        : undefined,
    );
    const all = await events(world);
    const node = eventsFor(all, 'Node', 'no-provider', 'AzureVmNotFound');
    expect(node).toHaveLength(1);
    expect(node[0]?.count).toBe(1);
    expect(node[0]?.message).toContain('VM no-provider');
    expect(node[0]?.message).toContain('does not exist in ARM');
    expect(eventsFor(all, 'Node', 'gone-vmss-0', 'AzureVmNotFound')[0]?.message).toContain('VMSS gone-vmss');
    expect(eventsFor(all, 'Pod', 'lost-b', 'IdentityAssignFailed')).toHaveLength(1);
    expect(await mic.stop()).toBe(0);
  }, 60_000);
});
