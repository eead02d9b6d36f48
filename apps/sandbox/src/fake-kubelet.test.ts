import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createKubeConfig, createKubeConnection } from '@podid/kube-client';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { EXTERNAL_NETWORK_ANNOTATION, FakeKubelet } from './fake-kubelet.js';
import { KubeRest } from './kube-rest.js';
import { PodAddressPool } from './pod-address-pool.js';

let kube: KubeEmulator;
let rest: KubeRest;
let kubelet: FakeKubelet;
const pool = new PodAddressPool();

async function eventually<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function pod(name: string, extra: { nodeName?: string; annotations?: Record<string, string> } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), containers: [{ name: 'app', image: 'x' }] },
  };
}

async function runningPod(name: string) {
  return eventually(async () => {
    const object = await rest.get('pods', 'default', name);
    const status = object?.['status'] as { podIP?: string; phase?: string } | undefined;
    return status?.podIP ? { object, status } : undefined;
  }, `pod ${name} to get an address`);
}

beforeAll(async () => {
  kube = await startKubeEmulator();
  rest = new KubeRest(kube.url, kube.kubeconfig.users[0]?.user.token ?? '');
  const connection = createKubeConnection({
    kubeConfig: createKubeConfig({ kubeconfigPath: kube.kubeconfigPath }),
    userAgent: 'test',
    qps: -1,
  });
  kubelet = new FakeKubelet({
    connection,
    rest,
    nodeNames: ['node-a', 'node-b'],
    hostIp: () => '127.0.0.1',
    pool,
    log: () => {},
  });
  await kubelet.start();
});

afterAll(async () => {
  await kubelet?.stop();
  await kube?.close();
});

describe('FakeKubelet', () => {
  test('places unscheduled pods on the sandbox nodes in turn and starts them with a loopback address', async () => {
    await rest.create('pods', 'default', pod('first'));
    await rest.create('pods', 'default', pod('second'));
    const first = await runningPod('first');
    const second = await runningPod('second');
    const nodes = [first, second].map((p) => (p.object?.['spec'] as { nodeName?: string } | undefined)?.nodeName);
    expect(new Set(nodes)).toEqual(new Set(['node-a', 'node-b']));
    expect(first.status.phase).toBe('Running');
    expect(first.status.podIP).toMatch(/^127\.0\.\d+\.\d+$/);
    expect(first.status.podIP).not.toBe(second.status.podIP);
  });

  test('leaves pods on other nodes and pods with an external network alone', async () => {
    await rest.create('pods', 'default', pod('elsewhere', { nodeName: 'real-node' }));
    await rest.create(
      'pods',
      'default',
      pod('external', { nodeName: 'node-a', annotations: { [EXTERNAL_NETWORK_ANNOTATION]: 'true' } }),
    );
    // A pod created after them is started, so the kubelet has seen both by then.
    await rest.create('pods', 'default', pod('marker', { nodeName: 'node-a' }));
    await runningPod('marker');
    for (const name of ['elsewhere', 'external']) {
      const object = await rest.get('pods', 'default', name);
      expect((object?.['status'] as { podIP?: string } | undefined)?.podIP).toBeUndefined();
      expect(object).toBeDefined();
    }
  });

  test('frees the address of a deleted pod', async () => {
    await rest.create('pods', 'default', pod('short-lived', { nodeName: 'node-b' }));
    const { status } = await runningPod('short-lived');
    const before = pool.size;
    await rest.delete('pods', 'default', 'short-lived');
    await eventually(async () => (pool.size === before - 1 ? true : undefined), 'the address to be released');
    expect(status.podIP).toBeDefined();
  });
});
