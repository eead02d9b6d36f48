import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startKubeEmulator, type KubeEmulator } from '@podid/kube-emulator';
import { stringify } from 'yaml';
import { createPodInformer } from '../informer/typed-informers.js';
import { TEST_USER_AGENT } from '../test-support/emulator-harness.js';
import { createKubeConfig } from './kube-config.js';
import { createKubeConnection } from './kube-connection.js';

const run = promisify(execFile);
const testSupport = fileURLToPath(new URL('../test-support/', import.meta.url));
const TOKEN = 'exec-plugin-token';

let emulator: KubeEmulator;
let dir: string;

beforeAll(async () => {
  // Every request must carry the token: a config that authenticated wrongly fails with 401.
  emulator = await startKubeEmulator({ token: TOKEN, requireToken: true });
  dir = mkdtempSync(join(tmpdir(), 'kube-client-loading-'));
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A kubeconfig for the emulator whose user runs the test exec plugin (as AKS users run kubelogin). */
function execKubeconfig(name: string, token: string): { path: string; log: string } {
  const log = join(dir, `${name}.log`);
  const path = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses a plain-http server unless insecure-skip-tls-verify is set (the emulator has no TLS).
      clusters: [{ name: 'emulator', cluster: { server: emulator.url, 'insecure-skip-tls-verify': true } }],
      users: [
        {
          name: 'exec-user',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: process.execPath,
              args: [join(testSupport, 'exec-credential-plugin.mjs')],
              env: [
                { name: 'PODID_EXEC_TOKEN', value: token },
                { name: 'PODID_EXEC_LOG', value: log },
              ],
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [{ name: 'emulator', context: { cluster: 'emulator', user: 'exec-user' } }],
      'current-context': 'emulator',
    }),
  );
  return { path, log };
}

/** Runs the list+watch child with the given kubeconfig; returns its report and every module URL it resolved. */
async function listAndWatchInChild(kubeconfigPath: string, podName: string) {
  const resolvedLog = join(dir, `${podName}.resolved`);
  writeFileSync(resolvedLog, '');
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      join(testSupport, 'register-source-loader.mjs'),
      join(testSupport, 'list-watch-child.mjs'),
      kubeconfigPath,
      podName,
    ],
    { env: { ...process.env, PODID_RESOLVED_LOG: resolvedLog }, timeout: 60_000 },
  );
  const resolved = readFileSync(resolvedLog, 'utf8').split('\n').filter(Boolean);
  return { report: JSON.parse(stdout) as { authentication: string; listed: number; seen: string }, resolved };
}

const clientNodeModules = (urls: readonly string[]) => urls.filter((url) => url.includes('/@kubernetes/client-node/'));

describe('@kubernetes/client-node is loaded only for exec and auth-provider users', () => {
  test('a token kubeconfig lists and watches without ever loading client-node', async () => {
    const { report, resolved } = await listAndWatchInChild(emulator.kubeconfigPath, 'token-pod');
    expect(report).toEqual({ authentication: 'native', listed: 0, seen: 'token-pod' });
    // The recorder works: podid's own sources went through it.
    expect(resolved.some((url) => url.endsWith('/packages/kube-client/src/connection/kube-connection.ts'))).toBe(true);
    expect(clientNodeModules(resolved)).toEqual([]);
  });

  test('an exec-plugin kubeconfig loads client-node lazily and authenticates with the plugin token', async () => {
    const { path, log } = execKubeconfig('child-exec', TOKEN);
    const { report, resolved } = await listAndWatchInChild(path, 'exec-pod');
    expect(report).toEqual({ authentication: 'client-node', listed: 1, seen: 'exec-pod' });
    expect(clientNodeModules(resolved).length).toBeGreaterThan(0);
    // client-node caches the plugin's token (it has no expiry) rather than running the plugin per request.
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(1);
  });

  test('exec path in-process: writes and the watch go through the podid transport, credentials through the plugin', async () => {
    const { path, log } = execKubeconfig('in-process', TOKEN);
    const kubeConfig = createKubeConfig({ kubeconfigPath: path });
    expect(kubeConfig.authentication).toBe('client-node');
    const connection = createKubeConnection({ kubeConfig, userAgent: TEST_USER_AGENT, qps: -1 });
    const pods = createPodInformer({ connection });
    pods.start();
    await pods.synced;
    const seen = new Promise<void>((resolve) => pods.onAdd((pod) => pod.metadata.name === 'exec-crud' && resolve()));
    await connection.request({
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      body: { metadata: { name: 'exec-crud' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    });
    await seen;
    await pods.stop();
    expect(readFileSync(log, 'utf8')).toContain('ran');

    // A plugin handing out a token the server refuses: the API answers 401, as for any bad credential.
    const wrong = createKubeConnection({
      kubeConfig: createKubeConfig({ kubeconfigPath: execKubeconfig('wrong', 'not-the-token').path }),
      userAgent: TEST_USER_AGENT,
      qps: -1,
    });
    await expect(wrong.getJson('/api/v1/pods')).rejects.toMatchObject({ statusCode: 401 });
  });
});
