import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type EmulatedCluster, NODE_NAME, startEmulatedCluster } from './test-support/emulated-cluster.js';
import { eventually, httpGet } from './test-support/http-get.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NmiChild, requireBuiltNmi, spawnNmi } from './test-support/nmi-process.js';
import { type RecordingProxy, startRecordingProxy } from './test-support/recording-proxy.js';

const RESOURCE = 'https://storage.azure.com/';
const WEB_IP = '127.0.0.31';
const STRANGER_IP = '127.0.0.32';

let cluster: EmulatedCluster;
let nmi: NmiChild;
let tokenBase: string;
let apiProxy: RecordingProxy;

function getToken(sourceAddress: string) {
  return httpGet(`${tokenBase}/metadata/identity/oauth2/token?resource=${encodeURIComponent(RESOURCE)}`, {
    sourceAddress,
    headers: { Metadata: 'true' },
  });
}

beforeAll(async () => {
  requireBuiltNmi();
  cluster = await startEmulatedCluster();
  await cluster.createNamespace('shop');
  // The operator assigned the identity to the VM by hand (managed mode has no MIC).
  await cluster.assignToVm(cluster.identities[0]);
  await cluster.createPod('shop', 'web-1', WEB_IP, 'web');
  await cluster.createPod('shop', 'stranger-1', STRANGER_IP, 'unbound');
  // NMI reaches the API server through a proxy that records user agents (row 72).
  apiProxy = await startRecordingProxy(cluster.kube.url);
  const kubeconfig = structuredClone(cluster.kube.kubeconfig);
  if (kubeconfig.clusters[0]) kubeconfig.clusters[0].cluster.server = apiProxy.url;
  const kubeconfigPath = join(cluster.tempDir, 'kubeconfig-via-proxy.json');
  writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig), { mode: 0o600 });
  nmi = spawnNmi(
    [
      `--node=${NODE_NAME}`,
      '--operation-mode=managed',
      '--forceNamespaced',
      '--nmi-port=0',
      '--http-probe-port=0',
      '--prometheus-port=0',
      '--manage-iptables=false',
      `--imds-endpoint=${cluster.imdsUrl}`,
      `--kubelet-config=${cluster.kubeletConfigPath}`,
      '--termination-wait=0s',
      '--log-format=json',
      '--custom-user-agent=shop-e2e',
    ],
    {
      env: { ...process.env, KUBECONFIG: kubeconfigPath, PODID_GIT_COMMIT: 'abc1234', PODID_BUILD_DATE: '2026-11-22' },
    },
  );
  const listening = await nmi.waitForLog(/^token server listening$/);
  tokenBase = `http://127.0.0.1:${String(listening['port'])}`;
  await nmi.waitForLog(/^NMI is active$/);
}, 60_000);

afterAll(async () => {
  await nmi?.stop('SIGKILL');
  await apiProxy?.close();
  await cluster?.close();
});

describe('NMI as a child process, managed mode (row 67)', () => {
  test('a pod without a binding gets 404', async () => {
    const answer = await getToken(STRANGER_IP);
    expect(answer.status).toBe(404);
  });

  test('a token straight from binding + identity, with no AzureAssignedIdentity anywhere', async () => {
    await cluster.createIdentity('shop', cluster.identities[0]);
    await cluster.createBinding('shop', 'web-binding', cluster.identities[0].name, 'web');
    const answer = await eventually(async () => {
      const candidate = await getToken(WEB_IP);
      return candidate.status === 404 ? undefined : candidate;
    }, 'NMI to see the binding');
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as Record<string, string>;
    const claims = JSON.parse(Buffer.from(body['access_token']?.split('.')[1] ?? '', 'base64url').toString()) as {
      appid: string;
    };
    expect(claims.appid).toBe(cluster.identities[0].clientId);
    const assigned = await cluster.kubeRequest('GET', '/apis/aadpodidentity.k8s.io/v1/azureassignedidentities');
    expect(assigned['items']).toEqual([]);
  });

  test('every API request carries upstream’s user-agent layout with podid’s name and version and the custom suffix (row 72)', () => {
    expect(apiProxy.requests.length).toBeGreaterThan(0);
    const agents = new Set(apiProxy.requests.map((request) => request.userAgent));
    expect([...agents]).toEqual([
      expect.stringMatching(/^podid\/NMI\/\d+\.\d+\.\d+\S*\/abc1234\/2026-11-22 shop-e2e$/),
    ]);
    // Managed mode watches bindings and identities, and never AzureAssignedIdentities.
    const paths = apiProxy.requests.map((request) => request.path);
    expect(paths.some((path) => path.startsWith('/apis/aadpodidentity.k8s.io/v1/azureidentitybindings'))).toBe(true);
    expect(paths.some((path) => path.includes('azureassignedidentities'))).toBe(false);
    expect(
      paths.some((path) => path.startsWith('/api/v1/pods') && path.includes('fieldSelector=spec.nodeName%3Dnode-1')),
    ).toBe(true);
  });

  test('SIGTERM exits 0', async () => {
    expect(await nmi.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
