import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  type AzureEmulator,
  generateClientCertificate,
  startAzureEmulator,
  toPkcs12Base64,
} from '@podid/azure-emulator';
import { decodeJwt } from 'jose';
import { FakeCluster, msiIdentity, pod, servicePrincipalIdentity } from '../test-support/fake-cluster.js';
import { METADATA, httpGet, errorText } from '../test-support/http-client.js';
import { type NmiServer, createNmiServer } from './nmi-server.js';

/**
 * NMI against @podid/azure-emulator: the VM's IMDS only issues tokens for identities assigned to the VM in ARM
 * state, AAD checks service-principal secrets and certificate assertions. Tokens are real signed JWTs.
 */
const SUB = '00000000-0000-0000-0000-00000000000a';
const TENANT = 'tenant-main';
const TOKEN = '/metadata/identity/oauth2/token';

let emulator: AzureEmulator;
let nmi: NmiServer;
let port: number;
const cluster = new FakeCluster();
const ids: Record<string, { clientId: string; id: string }> = {};

beforeAll(async () => {
  emulator = await startAzureEmulator();
  const admin = emulator.admin;
  admin.createSubscription({ subscriptionId: SUB, tenantId: TENANT });
  admin.createResourceGroup({ subscriptionId: SUB, name: 'rg' });
  for (const name of ['on-vm', 'not-on-vm']) {
    const record = admin.createUserAssignedIdentity({ subscriptionId: SUB, resourceGroup: 'rg', name });
    ids[name] = { clientId: record.clientId, id: record.id };
  }
  const vm = await admin.createVirtualMachine({
    subscriptionId: SUB,
    resourceGroup: 'rg',
    name: 'node-1',
    userAssignedIdentities: [ids['on-vm']?.id ?? ''],
  });
  nmi = createNmiServer({
    pods: cluster.podLookup,
    exceptions: cluster.exceptionLookup,
    identities: cluster.standard,
    secrets: cluster.secretLookup,
    imdsBaseUrl: vm.imds[0]?.url ?? '',
    aadCa: emulator.caCertPem,
    imdsMaxAttempts: 1,
    retryAttemptsForCreated: 1,
    findIdentityRetryIntervalSeconds: 0,
  });
  ({ port } = await nmi.listen(0));
});

afterAll(async () => {
  await nmi.close();
  await emulator.close();
});

function bindPod(ip: string, name: string, identity: Parameters<FakeCluster['assign']>[1]) {
  const p = cluster.addPod(pod(name, 'demo', ip));
  cluster.assign(p, identity);
}

describe('NMI with the Azure emulator', () => {
  test('type 0: a token for the identity assigned to the VM; one not on the VM → 403 from IMDS', async () => {
    bindPod('127.0.0.2', 'on', msiIdentity('on-vm', 'demo', ids['on-vm']?.clientId ?? ''));
    bindPod('127.0.0.3', 'off', msiIdentity('not-on-vm', 'demo', ids['not-on-vm']?.clientId ?? ''));
    const ok = await httpGet(port, `${TOKEN}?resource=https%3A%2F%2Fvault.azure.net`, {
      localAddress: '127.0.0.2',
      headers: METADATA,
    });
    expect(ok.status).toBe(200);
    const body = JSON.parse(ok.body);
    expect(body.resource).toBe('https://vault.azure.net');
    expect(body.client_id).toBe(ids['on-vm']?.clientId);
    expect(decodeJwt(body.access_token).appid).toBe(ids['on-vm']?.clientId);

    const refused = await httpGet(port, `${TOKEN}?resource=https%3A%2F%2Fvault.azure.net`, {
      localAddress: '127.0.0.3',
      headers: METADATA,
    });
    expect(refused.status).toBe(403);
    expect(errorText(refused)).toContain('Identity not found');
  });

  test('type 1 (secret) and type 2 (PFX certificate) against emulated AAD', async () => {
    const secretSp = emulator.admin.createServicePrincipal({ tenantId: TENANT, secret: 'p@ss' });
    const certificate = await generateClientCertificate();
    const certSp = emulator.admin.createServicePrincipal({
      tenantId: TENANT,
      certificatePem: certificate.certificatePem,
    });
    const adEndpoint = `${emulator.aadUrl}/`;
    bindPod(
      '127.0.0.4',
      'sp',
      servicePrincipalIdentity('sp', 'demo', {
        type: 1,
        clientId: secretSp.clientId,
        tenantId: TENANT,
        adEndpoint,
        secretName: 'sp',
      }),
    );
    bindPod(
      '127.0.0.5',
      'cert',
      servicePrincipalIdentity('cert', 'demo', {
        type: 2,
        clientId: certSp.clientId,
        tenantId: TENANT,
        adEndpoint,
        secretName: 'cert',
      }),
    );
    cluster.secrets.set('demo/sp', { clientSecret: new TextEncoder().encode('p@ss') });
    cluster.secrets.set('demo/cert', {
      certificate: Buffer.from(toPkcs12Base64(certificate, 'pfx'), 'base64'),
      password: new TextEncoder().encode('pfx'),
    });

    for (const [ip, clientId] of [
      ['127.0.0.4', secretSp.clientId],
      ['127.0.0.5', certSp.clientId],
    ] as const) {
      const answer = await httpGet(port, `${TOKEN}?resource=https%3A%2F%2Fmanagement.azure.com%2F`, {
        localAddress: ip,
        headers: METADATA,
      });
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body);
      expect(body.resource).toBe('https://management.azure.com/');
      const claims = decodeJwt(body.access_token);
      expect(claims.appid).toBe(clientId);
      expect(claims.tid).toBe(TENANT);
    }
  });
});
