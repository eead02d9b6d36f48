/**
 * Bad input through the real kubectl (the plugin found on PATH) against the kube-emulator: each case is one line on
 * stderr, exit code 2, and no stack trace.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { customResourceDefinitions } from '@podid/crd-types';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { startForbiddingProxy } from './test-support/forbidding-proxy.js';
import { KubectlPlugin, type PluginRun } from './test-support/kubectl-plugin.js';

let plugin: KubectlPlugin;
let kube: KubeEmulator;
let dir: string;

function kubeconfigFor(server: string): string {
  const file = path.join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: kube.kubeconfig.users[0]?.user.token ?? '' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  return file;
}

function expectOneLineError(run: PluginRun, pattern: RegExp): void {
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  plugin = KubectlPlugin.install();
  kube = await startKubeEmulator();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-podid-bad-'));
  for (const crd of customResourceDefinitions) {
    const response = await fetch(`${kube.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${kube.kubeconfig.users[0]?.user.token}` },
      body: JSON.stringify(crd),
    });
    expect(response.status).toBe(201);
  }
});

afterAll(async () => {
  await kube.close();
  plugin.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('kubectl podid: bad input', () => {
  test('an unknown pod', async () => {
    const run = await plugin.run(['explain', 'pod', 'nope', '-n', 'default', '--kubeconfig', kube.kubeconfigPath]);
    expectOneLineError(run, /pods "nope" not found in namespace "default"/);
  });

  test('no kubeconfig anywhere kubectl looks (no KUBECONFIG, no ~/.kube/config)', async () => {
    const run = await plugin.run(['status'], { KUBECONFIG: undefined });
    expectOneLineError(run, /no kubeconfig: .*\.kube\/config does not exist; set KUBECONFIG or pass --kubeconfig/);
  });

  test('a --kubeconfig that does not exist', async () => {
    const run = await plugin.run(['explain', 'pod', 'web', '--kubeconfig', path.join(dir, 'missing')]);
    expectOneLineError(run, /kubeconfig .*missing does not exist/);
  });

  test('an unknown --context', async () => {
    const run = await plugin.run(['status', '--kubeconfig', kube.kubeconfigPath, '--context', 'elsewhere']);
    expectOneLineError(run, /context "elsewhere" does not exist/);
  });

  test('an unreachable API server', async () => {
    // A port that was free a moment ago and has nothing listening now.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const run = await plugin.run(['status'], { KUBECONFIG: kubeconfigFor(`http://127.0.0.1:${port}`) });
    expectOneLineError(
      run,
      new RegExp(`the connection to the server http://127.0.0.1:${port} was refused \\(ECONNREFUSED\\)`),
    );
  });

  test('a forbidden list (RBAC refuses azureidentities)', async () => {
    const proxy = await startForbiddingProxy({
      upstream: kube.url,
      plural: 'azureidentities',
      group: 'aadpodidentity.k8s.io',
    });
    try {
      const run = await plugin.run(['status'], { KUBECONFIG: kubeconfigFor(proxy.url) });
      expectOneLineError(
        run,
        /cannot list azureidentities.aadpodidentity.k8s.io \(forbidden\): HTTP 403: azureidentities.aadpodidentity.k8s.io is forbidden: User/,
      );
    } finally {
      await proxy.close();
    }
  });

  test('CRDs not installed', async () => {
    const bare = await startKubeEmulator();
    try {
      const run = await plugin.run(['status', '--kubeconfig', bare.kubeconfigPath]);
      expectOneLineError(
        run,
        /does not serve azure\w+\.aadpodidentity\.k8s\.io: are podid's \(aad-pod-identity's\) CRDs installed\?/,
      );
    } finally {
      await bare.close();
    }
  });

  test.each([
    [['explain'], /missing required argument 'kind'/],
    [['explain', 'deployment', 'web'], /explain works on pods/],
    [['explain', 'pod'], /exactly one pod name/],
    [['status', '--stuck-after', 'soon'], /invalid value "soon" for --stuck-after/],
    [['status', '-o', 'xml'], /argument 'xml' is invalid/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('usage error %j', async (args, pattern) => {
    const run = await plugin.run([...args, '--kubeconfig', kube.kubeconfigPath]);
    expectOneLineError(run, pattern);
  });

  test('--help on every command exits 0 and names the flags', async () => {
    for (const args of [['--help'], ['explain', '--help'], ['status', '--help']]) {
      const run = await plugin.run(args);
      expect({ args, code: run.code }).toEqual({ args, code: 0 });
      expect(run.stdout).toMatch(/--kubeconfig/);
      expect(run.stdout).toMatch(/-o, --output/);
    }
    expect((await plugin.run(['status', '--help'])).stdout).toMatch(/--stuck-after/);
  });
});
