import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  type ClientCertificate,
  type EmulatorTls,
  generateClientCertificate,
  generateEmulatorTls,
} from '@podid/azure-emulator';
import type { KubeEmulator } from '@podid/kube-emulator';
import { stringify } from 'yaml';
import { createCrdClients } from '../crd/crd-clients.js';
import { createPodInformer } from '../informer/typed-informers.js';
import { startEmulatorWithCrds, TEST_USER_AGENT } from '../test-support/emulator-harness.js';
import { startTlsFront, type TlsFront } from '../test-support/tls-front.js';
import { createKubeConfig } from './kube-config.js';
import { createKubeConnection } from './kube-connection.js';

let emulator: KubeEmulator;
let tls: EmulatorTls;
let client: ClientCertificate;
let front: TlsFront;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulatorWithCrds(['tls']);
  [tls, client] = await Promise.all([generateEmulatorTls('podid kube-client test'), generateClientCertificate('mic')]);
  front = await startTlsFront({
    target: emulator.url,
    serverCert: tls.server,
    clientCa: client.certificatePem,
    requireClientCert: true,
  });
  dir = mkdtempSync(join(tmpdir(), 'kube-client-tls-'));
});
afterAll(async () => {
  await front.close();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: front.url, ...cluster } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return path;
}

const clientCertUser = () => ({
  'client-certificate-data': b64(client.certificatePem),
  'client-key-data': b64(client.privateKeyPem),
});

function connect(path: string) {
  return createKubeConnection({
    kubeConfig: createKubeConfig({ kubeconfigPath: path }),
    userAgent: TEST_USER_AGENT,
    qps: -1,
  });
}

describe('TLS: certificate-authority, client certificates, tls-server-name, one pool per configuration', () => {
  test('a CA + client-certificate kubeconfig lists, watches and writes, reusing keep-alive TLS connections', async () => {
    const connection = connect(
      kubeconfig('cert', { 'certificate-authority-data': b64(tls.ca.certificatePem) }, clientCertUser()),
    );
    const pods = createPodInformer({ connection });
    pods.start();
    await pods.synced;
    const before = front.connections();
    const { identities } = createCrdClients({ connection });
    for (let i = 0; i < 30; i++) {
      await identities.create({
        apiVersion: 'aadpodidentity.k8s.io/v1',
        kind: 'AzureIdentity',
        metadata: { name: `id-${i}`, namespace: 'tls' },
        spec: {
          type: 0,
          resourceID: `/subscriptions/s/resourcegroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${i}`,
          clientID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
        },
      });
    }
    expect(await identities.list({ namespace: 'tls' })).toHaveLength(30);
    // Thirty-one calls one after another on one TLS session (client-node alone made a handshake per call).
    expect(front.connections() - before).toBeLessThanOrEqual(2);
    await pods.stop();
    expect(new Set(front.clientNames)).toEqual(new Set(['mic']));
  });

  test('tls-server-name is what the server certificate is checked against', async () => {
    const ca = { 'certificate-authority-data': b64(tls.ca.certificatePem) };
    const named = connect(kubeconfig('named', { ...ca, 'tls-server-name': 'localhost' }, clientCertUser()));
    await expect(named.getJson('/api/v1/namespaces/tls/pods')).resolves.toMatchObject({ kind: 'PodList' });
    const misnamed = connect(kubeconfig('misnamed', { ...ca, 'tls-server-name': 'api.elsewhere' }, clientCertUser()));
    await expect(misnamed.getJson('/api/v1/namespaces/tls/pods')).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  test('without the CA the server is not trusted; insecure-skip-tls-verify skips the check', async () => {
    const untrusted = connect(kubeconfig('no-ca', {}, clientCertUser()));
    await expect(untrusted.getJson('/api/v1/namespaces/tls/pods')).rejects.toMatchObject({
      code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/),
    });
    const skipping = connect(kubeconfig('skip', { 'insecure-skip-tls-verify': true }, clientCertUser()));
    await expect(skipping.getJson('/api/v1/namespaces/tls/pods')).resolves.toMatchObject({ kind: 'PodList' });
  });

  test('a server that requires a client certificate refuses a kubeconfig without one', async () => {
    const anonymous = connect(
      kubeconfig('anonymous', { 'certificate-authority-data': b64(tls.ca.certificatePem) }, { token: 't' }),
    );
    await expect(anonymous.getJson('/api/v1/namespaces/tls/pods')).rejects.toBeDefined();
  });
});
