import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type EmulatedCluster, NODE_NAME, startEmulatedCluster } from './test-support/emulated-cluster.js';
import { eventually, httpGet } from './test-support/http-get.js';
import { type NmiChild, requireBuiltNmi, spawnNmi } from './test-support/nmi-process.js';

/**
 * NMI (the built process, managed mode) serving a federated identity (type 3): it asks the kube-emulator's
 * TokenRequest API for the calling pod's service-account token through kube-client and exchanges it at the
 * azure-emulator's AAD (`--federated-authority-host`). The identity is on no VM; ARM sees no compute call.
 */
const RESOURCE = 'https://vault.azure.net';
const WORKER_IP = '127.0.0.41';
const STRANGER_IP = '127.0.0.42';

let cluster: EmulatedCluster;
let nmi: NmiChild;
let tokenBase: string;

function getToken(sourceAddress: string) {
  return httpGet(`${tokenBase}/metadata/identity/oauth2/token?resource=${encodeURIComponent(RESOURCE)}`, {
    sourceAddress,
    headers: { Metadata: 'true' },
  });
}

beforeAll(async () => {
  requireBuiltNmi();
  cluster = await startEmulatedCluster();
  const app = cluster.identities[1];
  const tenantId = cluster.servicePrincipal.tenantId;
  cluster.azure.admin.addFederatedCredential(
    { identityId: app.id },
    { name: 'jobs-worker', issuer: cluster.kube.serviceAccountIssuer, subject: 'system:serviceaccount:jobs:worker' },
  );
  await cluster.createNamespace('jobs');
  await cluster.kubeRequest('POST', '/api/v1/namespaces/jobs/serviceaccounts', { metadata: { name: 'worker' } });
  await cluster.kubeRequest('POST', '/apis/aadpodidentity.k8s.io/v1/namespaces/jobs/azureidentities', {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentity',
    metadata: { name: 'federated', namespace: 'jobs' },
    spec: { type: 3, clientID: app.clientId, tenantID: tenantId },
  });
  await cluster.createBinding('jobs', 'federated-binding', 'federated', 'fed');
  await cluster.createPod('jobs', 'stranger-1', STRANGER_IP, 'fed');
  // createPod runs pods as `default`; the worker runs as its own service account.
  await cluster.kubeRequest('POST', '/api/v1/namespaces/jobs/pods', {
    metadata: { name: 'worker-1', labels: { aadpodidbinding: 'fed' } },
    spec: { nodeName: NODE_NAME, serviceAccountName: 'worker', containers: [{ name: 'app', image: 'app:1' }] },
  });
  const created = await cluster.kubeRequest('GET', '/api/v1/namespaces/jobs/pods/worker-1');
  await cluster.kubeRequest('PUT', '/api/v1/namespaces/jobs/pods/worker-1/status', {
    ...created,
    status: { phase: 'Running', podIP: WORKER_IP, podIPs: [{ ip: WORKER_IP }] },
  });
  cluster.azure.admin.resetCounters();
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
      `--federated-authority-host=${cluster.azure.aadUrl}/`,
      '--termination-wait=0s',
      '--log-format=json',
    ],
    { env: { ...process.env, KUBECONFIG: cluster.kube.kubeconfigPath, NODE_EXTRA_CA_CERTS: cluster.caPath } },
  );
  const listening = await nmi.waitForLog(/^token server listening$/);
  tokenBase = `http://127.0.0.1:${String(listening['port'])}`;
}, 60_000);

afterAll(async () => {
  await nmi?.stop('SIGKILL');
  await cluster?.close();
});

describe('NMI process: federated identity (type 3)', () => {
  test('the worker pod gets the federated app’s token; ARM saw no VM/VMSS call', async () => {
    const answer = await eventually(async () => {
      const candidate = await getToken(WORKER_IP);
      return candidate.status === 404 ? undefined : candidate;
    }, 'NMI to see the binding');
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as Record<string, string>;
    const claims = JSON.parse(Buffer.from(body['access_token']?.split('.')[1] ?? '', 'base64url').toString()) as {
      appid: string;
      xms_mirid: string;
    };
    expect(claims.appid).toBe(cluster.identities[1].clientId);
    expect(claims.xms_mirid).toBe(cluster.identities[1].id);
    const counts = cluster.azure.admin.requestCounts();
    for (const kind of ['vm_get', 'vm_update', 'vmss_get', 'vmss_update']) expect(counts[kind] ?? 0).toBe(0);
    expect(counts['aad_token']).toBe(1);
  });

  test('a pod of the same binding running as `default` is refused with AAD’s subject error, no token', async () => {
    const answer = await getToken(STRANGER_IP);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('AADSTS700213');
    expect(answer.body).not.toContain('access_token');
  });

  test('no token or assertion appears in NMI’s log', async () => {
    const worker = await getToken(WORKER_IP);
    const token = (JSON.parse(worker.body) as Record<string, string>)['access_token'] ?? '';
    expect(token.length).toBeGreaterThan(100);
    const log = `${JSON.stringify(nmi.logs)}${nmi.stdout()}${nmi.otherStderr()}`;
    expect(log).not.toContain(token);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.eyJ/);
  });
});
