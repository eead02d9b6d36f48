import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubeConfig, createKubeConnection } from '@podid/kube-client';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { EXTERNAL_NETWORK_ANNOTATION, FakeKubelet } from './fake-kubelet.js';
import { KubeRest } from './kube-rest.js';
import { PodAddressPool } from './pod-address-pool.js';

const kubectlFound = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!kubectlFound) console.log('SKIP FakeKubelet kubectl test: kubectl not found on PATH');
const testWithKubectl = kubectlFound ? test : test.skip;

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

interface ContainerStatusView {
  name: string;
  image: string;
  imageID: string;
  containerID: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: { running?: { startedAt: string }; terminated?: { exitCode: number; reason: string } };
}

interface PodStatusView {
  phase: string;
  hostIP: string;
  hostIPs: { ip: string }[];
  podIP: string;
  podIPs: { ip: string }[];
  startTime: string;
  conditions: { type: string; status: string; lastTransitionTime: string }[];
  containerStatuses: ContainerStatusView[];
  initContainerStatuses?: ContainerStatusView[];
}

interface PodExtra {
  nodeName?: string;
  annotations?: Record<string, string>;
  containers?: { name: string; image: string }[];
  initContainers?: { name: string; image: string }[];
}

function pod(name: string, extra: PodExtra = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      containers: extra.containers ?? [{ name: 'app', image: 'x' }],
      ...(extra.initContainers ? { initContainers: extra.initContainers } : {}),
    },
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

  test('reports what a kubelet reports for started containers: Running, Ready, one running status per container', async () => {
    await rest.create(
      'pods',
      'default',
      pod('two-containers', {
        nodeName: 'node-a',
        containers: [
          { name: 'web', image: 'nginx:1.27' },
          { name: 'sidecar', image: 'mcr.microsoft.com/oss/busybox' },
        ],
        initContainers: [{ name: 'setup', image: 'busybox' }],
      }),
    );
    const { status } = await runningPod('two-containers');
    const full = status as unknown as PodStatusView;
    expect(full.phase).toBe('Running');
    expect(full.hostIP).toBe('127.0.0.1');
    expect(full.hostIPs).toEqual([{ ip: '127.0.0.1' }]);
    expect(full.podIPs).toEqual([{ ip: full.podIP }]);
    expect(Date.parse(full.startTime)).not.toBeNaN();

    const conditions = full.conditions;
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
      const condition = conditions.find((c) => c.type === type);
      expect({ type, status: condition?.status }).toEqual({ type, status: 'True' });
      expect(Date.parse(condition!.lastTransitionTime)).not.toBeNaN();
    }

    const statuses = full.containerStatuses;
    expect(statuses.map((c) => c.name)).toEqual(['web', 'sidecar']);
    expect(statuses.map((c) => c.image)).toEqual([
      'docker.io/library/nginx:1.27',
      'mcr.microsoft.com/oss/busybox:latest',
    ]);
    for (const container of statuses) {
      expect(container).toMatchObject({ ready: true, started: true, restartCount: 0 });
      expect(container.imageID).toMatch(/^[a-z0-9./-]+@sha256:[0-9a-f]{64}$/);
      expect(container.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
      expect(Date.parse(container.state.running?.startedAt ?? '')).not.toBeNaN();
    }
    expect(statuses[0]!.containerID).not.toBe(statuses[1]!.containerID);

    const init = full.initContainerStatuses ?? [];
    expect(init).toHaveLength(1);
    expect(init[0]).toMatchObject({ name: 'setup', ready: true, restartCount: 0 });
    expect(init[0]!.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  testWithKubectl('kubectl get pods shows the pod 1/1 Running and kubectl wait sees it Ready', async () => {
    await rest.create('pods', 'default', pod('kubectl-ready', { nodeName: 'node-b' }));
    await runningPod('kubectl-ready');
    const home = mkdtempSync(join(tmpdir(), 'kubelet-kubectl-'));
    const kubectl = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        execFile(
          'kubectl',
          ['--cache-dir', join(home, 'cache'), ...args],
          { env: { ...process.env, KUBECONFIG: kube.kubeconfigPath, HOME: home } },
          (error, stdout, stderr) => done({ code: error ? 1 : 0, stdout, stderr }),
        );
      });
    try {
      const listing = await kubectl('get', 'pods', 'kubectl-ready', '--no-headers');
      expect({ code: listing.code, stderr: listing.stderr }).toEqual({ code: 0, stderr: '' });
      expect(listing.stdout.trim().split(/\s+/).slice(0, 4)).toEqual(['kubectl-ready', '1/1', 'Running', '0']);
      const waited = await kubectl('wait', '--for=condition=Ready', 'pod/kubectl-ready', '--timeout=10s');
      expect({ code: waited.code, stdout: waited.stdout.trim() }).toEqual({
        code: 0,
        stdout: 'pod/kubectl-ready condition met',
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
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
