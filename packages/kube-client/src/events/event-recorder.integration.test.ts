import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { KubeEmulator } from '@podid/kube-emulator';
import type { KubeConnection } from '../connection/kube-connection.js';
import { createCrdClients } from '../crd/crd-clients.js';
import { connectTo, startEmulatorWithCrds, clientNodeApis } from '../test-support/emulator-harness.js';
import { DEFAULT_EVENT_COMPONENT, EventRecorder, EventReason, referenceTo } from './event-recorder.js';

let emulator: KubeEmulator;
let connection: KubeConnection;
let clientNode: ReturnType<typeof clientNodeApis>;

beforeAll(async () => {
  emulator = await startEmulatorWithCrds(['events']);
  connection = connectTo(emulator);
  clientNode = clientNodeApis(emulator);
});
afterAll(async () => {
  await emulator.close();
});

describe('EventRecorder against kube-emulator', () => {
  test('writes MIC events with upstream reasons, object references and source; folds repeats into count', async () => {
    const { bindings, assignedIdentities } = createCrdClients({ connection });
    const binding = await bindings.create({
      metadata: { name: 'web-binding', namespace: 'events' },
      spec: { azureIdentity: 'web-id', selector: 'web' },
    });
    const assigned = await assignedIdentities.create({
      metadata: { name: 'web-1-events-web-id', namespace: 'events', labels: { nodename: 'n1' } },
      spec: { pod: 'web-1', podNamespace: 'events', nodename: 'n1' },
      status: { status: 'Created' },
    });
    const recorder = new EventRecorder({ connection, host: 'mic-0' });
    const bindingRef = referenceTo(binding, { apiVersion: 'aadpodidentity.k8s.io/v1', kind: 'AzureIdentityBinding' });
    recorder.normal(bindingRef, EventReason.BindingApplied, 'Binding web-binding applied on node n1 for pod web-1');
    recorder.warning(bindingRef, EventReason.BindingApplyError, 'Applying binding failed: throttled');
    recorder.warning(bindingRef, EventReason.BindingApplyError, 'Applying binding failed: throttled');
    recorder.normal(bindingRef, EventReason.BindingRemoved, 'Binding web-binding removed');
    recorder.warning(bindingRef, EventReason.BindingRemoveError, 'Removing binding failed');
    recorder.warning(
      referenceTo(assigned, { apiVersion: 'aadpodidentity.k8s.io/v1', kind: 'AzureAssignedIdentity' }),
      EventReason.StatusUpdateError,
      'Updating assigned identity status failed',
    );
    await recorder.flush();

    const { items } = await clientNode.core.listNamespacedEvent({ namespace: 'events' });
    const byReason = new Map<string, CoreV1Event>(items.map((event) => [event.reason ?? '', event]));
    expect([...byReason.keys()].sort()).toEqual([
      'binding applied',
      'binding apply error',
      'binding remove error',
      'binding removed',
      'status update error',
    ]);
    expect(items).toHaveLength(5); // the repeated warning was folded into one Event
    expect(byReason.get('binding apply error')).toMatchObject({ type: 'Warning', count: 2 });
    expect(byReason.get('binding applied')).toMatchObject({
      type: 'Normal',
      count: 1,
      source: { component: DEFAULT_EVENT_COMPONENT, host: 'mic-0' },
      involvedObject: {
        apiVersion: 'aadpodidentity.k8s.io/v1',
        kind: 'AzureIdentityBinding',
        namespace: 'events',
        name: 'web-binding',
        uid: binding.metadata.uid,
      },
    });
    expect(byReason.get('status update error')?.involvedObject).toMatchObject({
      kind: 'AzureAssignedIdentity',
      name: 'web-1-events-web-id',
    });
  });

  test('a failing API server never throws into the caller; the failure is logged', async () => {
    const warnings: string[] = [];
    const recorder = new EventRecorder({
      connection,
      logger: { debug() {}, info() {}, warn: (_o, msg) => warnings.push(msg), error() {} },
    });
    emulator.admin.failNextRequests({ count: 1, status: 500, resource: 'events' });
    expect(() =>
      recorder.warning({ kind: 'Pod', namespace: 'events', name: 'x' }, 'binding apply error', 'm'),
    ).not.toThrow();
    await recorder.flush();
    expect(warnings).toEqual(['could not write event']);
  });
});
