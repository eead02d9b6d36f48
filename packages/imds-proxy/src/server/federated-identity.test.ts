import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ManagedIdentityCredential } from '@azure/identity';
import { ManagedIdentityApplication } from '@azure/msal-node';
import { type AzureEmulator, startAzureEmulator } from '@podid/azure-emulator';
import type { AzureIdentity, Pod } from '@podid/crd-types';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { decodeJwt } from 'jose';
import { FakeCluster } from '../test-support/fake-cluster.js';
import { METADATA, httpGet } from '../test-support/http-client.js';
import { kubeTokenLookup } from '../test-support/kube-token-lookup.js';
import { type NmiServer, createNmiServer } from './nmi-server.js';

/**
 * Federated identities (type 3) end to end over real sockets: NMI asks the kube-emulator's TokenRequest API for the
 * calling pod's own service-account token and exchanges it at the azure-emulator's AAD (which fetches the cluster's
 * OIDC discovery and JWKS to verify it). The VM's IMDS has none of these identities: a token can only come from
 * the exchange, and ARM never sees a VM/VMSS call.
 */
const SUB = '00000000-0000-0000-0000-00000000000b';
const TENANT = 'tenant-fed';
const TOKEN = '/metadata/identity/oauth2/token';
const VAULT = 'https%3A%2F%2Fvault.azure.net';
const ENV = 'AZURE_POD_IDENTITY_AUTHORITY_HOST';

let azure: AzureEmulator;
let kube: KubeEmulator;
let staleKube: KubeEmulator;
let nmi: NmiServer;
let namespacedNmi: NmiServer;
let port: number;
let namespacedPort: number;
let savedEnv: string | undefined;
const cluster = new FakeCluster();
const lookup = { tokens: undefined as unknown as ReturnType<typeof kubeTokenLookup> };
const apps: Record<string, { clientId: string; id: string; principalId: string }> = {};

async function kubePost(emulator: KubeEmulator, path: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${emulator.kubeconfig.users[0]!.user.token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

async function kubeDelete(emulator: KubeEmulator, path: string): Promise<void> {
  await fetch(`${emulator.url}${path}`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${emulator.kubeconfig.users[0]!.user.token}` },
  });
}

/** A pod in the kube-emulator (real uid, defaulted service account), mirrored into NMI's pod cache with its IP. */
async function startPod(
  emulator: KubeEmulator,
  namespace: string,
  name: string,
  ip: string,
  serviceAccountName?: string,
): Promise<Pod> {
  const created = await kubePost(emulator, `/api/v1/namespaces/${namespace}/pods`, {
    metadata: { name },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }], serviceAccountName },
  });
  const mirrored: Pod = { ...(created as Pod), status: { podIP: ip, phase: 'Running' } };
  cluster.addPod(mirrored);
  return mirrored;
}

function federatedIdentity(name: string, namespace: string, clientId: string): AzureIdentity {
  return { metadata: { name, namespace }, spec: { type: 3, clientID: clientId, tenantID: TENANT } };
}

beforeAll(async () => {
  [azure, kube] = await Promise.all([startAzureEmulator(), startKubeEmulator({ requireToken: true })]);
  // A cluster whose clock is two hours behind: the tokens it issues have already expired for AAD.
  staleKube = await startKubeEmulator({ now: () => Date.now() - 2 * 3600_000 });
  const admin = azure.admin;
  admin.createSubscription({ subscriptionId: SUB, tenantId: TENANT });
  admin.createResourceGroup({ subscriptionId: SUB, name: 'rg' });
  for (const name of ['fed-app', 'other-issuer-app', 'stale-app']) {
    const record = admin.createUserAssignedIdentity({ subscriptionId: SUB, resourceGroup: 'rg', name });
    apps[name] = { clientId: record.clientId, id: record.id, principalId: record.principalId };
  }
  for (const subject of ['worker', 'sdk', 'curl', 'doomed', 'cached']) {
    admin.addFederatedCredential(
      { identityId: apps['fed-app']!.id },
      { name: `apps-${subject}`, issuer: kube.serviceAccountIssuer, subject: `system:serviceaccount:apps:${subject}` },
    );
  }
  admin.addFederatedCredential(
    { identityId: apps['other-issuer-app']!.id },
    { name: 'elsewhere', issuer: 'https://oidc.elsewhere.example', subject: 'system:serviceaccount:apps:worker' },
  );
  admin.addFederatedCredential(
    { identityId: apps['stale-app']!.id },
    { name: 'stale', issuer: staleKube.serviceAccountIssuer, subject: 'system:serviceaccount:apps:default' },
  );
  // The node's VM has no identity at all: IMDS would refuse every one of these client IDs.
  const vm = await admin.createVirtualMachine({ subscriptionId: SUB, resourceGroup: 'rg', name: 'node-1' });
  for (const emulator of [kube, staleKube]) {
    await kubePost(emulator, '/api/v1/namespaces', { metadata: { name: 'apps' } });
    await kubePost(emulator, '/api/v1/namespaces', { metadata: { name: 'elsewhere' } });
  }
  for (const sa of ['worker', 'sdk', 'curl', 'doomed', 'cached']) {
    await kubePost(kube, '/api/v1/namespaces/apps/serviceaccounts', { metadata: { name: sa } });
  }
  lookup.tokens = kubeTokenLookup(kube);
  const common = {
    pods: cluster.podLookup,
    exceptions: cluster.exceptionLookup,
    identities: cluster.standard,
    secrets: cluster.secretLookup,
    imdsBaseUrl: vm.imds[0]!.url,
    aadCa: azure.caCertPem,
    federatedAuthorityHost: `${azure.aadUrl}/`,
    imdsMaxAttempts: 1,
    retryAttemptsForCreated: 1,
    findIdentityRetryIntervalSeconds: 0,
  };
  // Pods of the stale cluster get their tokens from it (the lookup picks the emulator by namespace/pod).
  const staleLookup = kubeTokenLookup(staleKube);
  nmi = createNmiServer({
    ...common,
    serviceAccountTokens: {
      requestToken: (request) =>
        request.podName.startsWith('stale-') ? staleLookup.requestToken(request) : lookup.tokens.requestToken(request),
    },
  });
  namespacedNmi = createNmiServer({ ...common, serviceAccountTokens: lookup.tokens, forceNamespaced: true });
  ({ port } = await nmi.listen(0));
  ({ port: namespacedPort } = await namespacedNmi.listen(0));
  savedEnv = process.env[ENV];
  process.env[ENV] = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env[ENV];
  else process.env[ENV] = savedEnv;
  await nmi?.close();
  await namespacedNmi?.close();
  await Promise.all([azure?.close(), kube?.close(), staleKube?.close()]);
});

function expectFederatedToken(accessToken: string, app: string): void {
  expect(decodeJwt(accessToken)).toMatchObject({
    appid: apps[app]!.clientId,
    oid: apps[app]!.principalId,
    xms_mirid: apps[app]!.id,
    tid: TENANT,
  });
}

function expectNoComputeCalls(): void {
  const counts = azure.admin.requestCounts();
  for (const kind of ['vm_get', 'vm_update', 'vmss_get', 'vmss_update']) expect(counts[kind] ?? 0).toBe(0);
  expect(azure.admin.patchLog()).toEqual([]);
}

describe('NMI serves federated identities (type 3) by token exchange', () => {
  test('a raw IMDS request gets the federated app’s token; no VM/VMSS call, no IMDS token', async () => {
    const worker = await startPod(kube, 'apps', 'worker-1', '127.0.0.2', 'worker');
    cluster.assign(worker, federatedIdentity('fed', 'apps', apps['fed-app']!.clientId));
    const answer = await httpGet(port, `${TOKEN}?api-version=2018-02-01&resource=${VAULT}`, {
      localAddress: '127.0.0.2',
      headers: METADATA,
    });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(Object.keys(body).sort()).toEqual(
      [
        'access_token',
        'client_id',
        'expires_in',
        'expires_on',
        'not_before',
        'refresh_token',
        'resource',
        'token_type',
      ].sort(),
    );
    expect(body).toMatchObject({ client_id: apps['fed-app']!.clientId, resource: 'https://vault.azure.net' });
    expectFederatedToken(body.access_token, 'fed-app');
    expect(decodeJwt(body.access_token).aud).toBe('https://vault.azure.net');
    expectNoComputeCalls();
  });

  test('msal-node ManagedIdentityApplication and @azure/identity ManagedIdentityCredential get it too', async () => {
    const sdkPod = await startPod(kube, 'apps', 'sdk-1', '127.0.0.1', 'sdk');
    cluster.assign(sdkPod, federatedIdentity('fed', 'apps', apps['fed-app']!.clientId));
    const msal = new ManagedIdentityApplication({
      managedIdentityIdParams: { userAssignedClientId: apps['fed-app']!.clientId },
    });
    const viaMsal = await msal.acquireToken({ resource: 'https://storage.azure.com' });
    expectFederatedToken(viaMsal.accessToken, 'fed-app');
    const credential = new ManagedIdentityCredential({ clientId: apps['fed-app']!.clientId });
    const viaIdentity = await credential.getToken('https://management.azure.com/.default');
    expectFederatedToken(viaIdentity.token, 'fed-app');
    expect(viaIdentity.expiresOnTimestamp).toBeGreaterThan(Date.now());
    expectNoComputeCalls();
  });

  test('curl gets it', async () => {
    const curlPod = await startPod(kube, 'apps', 'curl-1', '127.0.0.4', 'curl');
    cluster.assign(curlPod, federatedIdentity('fed', 'apps', apps['fed-app']!.clientId));
    const { stdout } = await promisify(execFile)('curl', [
      '-sS',
      '--interface',
      '127.0.0.4',
      '-H',
      'Metadata: true',
      `http://127.0.0.1:${port}${TOKEN}?api-version=2018-02-01&resource=${VAULT}`,
    ]);
    expectFederatedToken(JSON.parse(stdout).access_token, 'fed-app');
  });

  test('subject mismatch: a pod of a service account without a credential gets AAD’s refusal, not the cached token', async () => {
    // Same identity and resource as the first test (whose token is cached): only the service account differs.
    const stranger = await startPod(kube, 'apps', 'stranger-1', '127.0.0.5');
    cluster.assign(stranger, federatedIdentity('fed', 'apps', apps['fed-app']!.clientId));
    const answer = await httpGet(port, `${TOKEN}?resource=${VAULT}`, { localAddress: '127.0.0.5', headers: METADATA });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('AADSTS700213');
    expect(answer.body).toContain('system:serviceaccount:apps:default');
    expect(answer.body).not.toContain('access_token');
  });

  test('wrong issuer: the identity trusts another cluster', async () => {
    const worker = await startPod(kube, 'apps', 'worker-2', '127.0.0.6', 'worker');
    cluster.assign(worker, federatedIdentity('other', 'apps', apps['other-issuer-app']!.clientId));
    const answer = await httpGet(port, `${TOKEN}?resource=${VAULT}`, { localAddress: '127.0.0.6', headers: METADATA });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('AADSTS700211');
  });

  test('expired assertion: a cluster whose tokens are already past exp', async () => {
    const created = await kubePost(staleKube, '/api/v1/namespaces/apps/pods', {
      metadata: { name: 'stale-1' },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }] },
    });
    const stale = cluster.addPod({ ...(created as Pod), status: { podIP: '127.0.0.7', phase: 'Running' } });
    cluster.assign(stale, federatedIdentity('stale', 'apps', apps['stale-app']!.clientId));
    const answer = await httpGet(port, `${TOKEN}?resource=${VAULT}`, { localAddress: '127.0.0.7', headers: METADATA });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('AADSTS700024');
  });

  test('binding deleted: refused at once, although the token is cached', async () => {
    const cachedPod = await startPod(kube, 'apps', 'cached-1', '127.0.0.8', 'cached');
    cluster.assign(cachedPod, federatedIdentity('fed', 'apps', apps['fed-app']!.clientId));
    const first = await httpGet(port, `${TOKEN}?resource=${VAULT}`, { localAddress: '127.0.0.8', headers: METADATA });
    expect(first.status).toBe(200);
    const again = await httpGet(port, `${TOKEN}?resource=${VAULT}`, { localAddress: '127.0.0.8', headers: METADATA });
    expect(again.status).toBe(200);
    cluster.unassign(cachedPod);
    const after = await httpGet(port, `${TOKEN}?resource=${VAULT}`, { localAddress: '127.0.0.8', headers: METADATA });
    expect(after.status).toBe(404);
    expect(after.body).not.toContain('access_token');
  });

  test('pod deleted: the API server refuses the pod-bound TokenRequest, so no token (even if NMI’s cache lags)', async () => {
    const doomed = await startPod(kube, 'apps', 'doomed-1', '127.0.0.9', 'doomed');
    cluster.assign(doomed, federatedIdentity('fed', 'apps', apps['fed-app']!.clientId));
    await kubeDelete(kube, '/api/v1/namespaces/apps/pods/doomed-1');
    const answer = await httpGet(port, `${TOKEN}?resource=https%3A%2F%2Fgraph.microsoft.com`, {
      localAddress: '127.0.0.9',
      headers: METADATA,
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error_description).toContain('pods "doomed-1" not found');
    // And once NMI's pod cache catches up, no pod has the caller's IP (upstream's 500 for an unknown caller).
    cluster.pods = cluster.pods.filter((p) => p.metadata.name !== 'doomed-1');
    const later = await httpGet(port, `${TOKEN}?resource=${VAULT}`, { localAddress: '127.0.0.9', headers: METADATA });
    expect(later.status).toBe(500);
    expect(later.body).not.toContain('access_token');
  });

  test('--forceNamespaced: a pod in another namespace than the identity is refused', async () => {
    const intruder = await startPod(kube, 'elsewhere', 'intruder-1', '127.0.0.10');
    cluster.assign(intruder, federatedIdentity('fed', 'apps', apps['fed-app']!.clientId));
    const answer = await httpGet(namespacedPort, `${TOKEN}?resource=${VAULT}`, {
      localAddress: '127.0.0.10',
      headers: METADATA,
    });
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('access_token');
  });

  test('service-account tokens are reused: many requests, one TokenRequest per pod', async () => {
    const before = lookup.tokens.requests;
    for (const resource of ['https%3A%2F%2Fa.example', 'https%3A%2F%2Fb.example', 'https%3A%2F%2Fc.example']) {
      const answer = await httpGet(port, `${TOKEN}?resource=${resource}`, {
        localAddress: '127.0.0.2',
        headers: METADATA,
      });
      expect(answer.status).toBe(200);
    }
    expect(lookup.tokens.requests - before).toBe(0);
  });
});
