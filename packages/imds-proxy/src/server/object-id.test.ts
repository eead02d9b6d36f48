import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ManagedIdentityCredential } from '@azure/identity';
import { ManagedIdentityApplication } from '@azure/msal-node';
import { type AzureEmulator, startAzureEmulator } from '@podid/azure-emulator';
import { decodeJwt } from 'jose';
import { FakeCluster, binding, exception, msiIdentity, pod } from '../test-support/fake-cluster.js';
import { METADATA, errorText, httpGet } from '../test-support/http-client.js';
import { type NmiServer, createNmiServer } from './nmi-server.js';

/**
 * Issue 15 item 1: `object_id` selects exactly the identity with that principal ID, or is refused like an unknown
 * client_id. Against @podid/azure-emulator, whose IMDS issues signed JWTs carrying `oid`, `appid` and `xms_mirid`.
 * Identities a, b and c are all on the VM; pod `both` (127.0.0.1, where the SDKs connect from) is bound to a and b,
 * pod `only-a` (127.0.0.2) to a alone, and pod `excepted` (127.0.0.3) is an exception pod.
 */
const SUB = '00000000-0000-0000-0000-00000000000b';
const TOKEN = '/metadata/identity/oauth2/token';
const VAULT = 'https://vault.azure.net';
const ENV = 'AZURE_POD_IDENTITY_AUTHORITY_HOST';

interface Ids {
  readonly clientId: string;
  readonly principalId: string;
  readonly id: string;
}

let emulator: AzureEmulator;
let nmi: NmiServer;
let managed: NmiServer;
let port: number;
let managedPort: number;
let savedEnv: string | undefined;
const cluster = new FakeCluster();
const ids: Record<'a' | 'b' | 'c', Ids> = {} as Record<'a' | 'b' | 'c', Ids>;

beforeAll(async () => {
  emulator = await startAzureEmulator();
  const admin = emulator.admin;
  admin.createSubscription({ subscriptionId: SUB, tenantId: 'tenant-object-id' });
  admin.createResourceGroup({ subscriptionId: SUB, name: 'rg' });
  for (const name of ['a', 'b', 'c'] as const) {
    const record = admin.createUserAssignedIdentity({ subscriptionId: SUB, resourceGroup: 'rg', name });
    ids[name] = { clientId: record.clientId, principalId: record.principalId, id: record.id };
  }
  const vm = await admin.createVirtualMachine({
    subscriptionId: SUB,
    resourceGroup: 'rg',
    name: 'node-1',
    userAssignedIdentities: [ids.a.id, ids.b.id, ids.c.id],
  });
  const identityA = msiIdentity('id-a', 'demo', ids.a.clientId);
  const identityB = msiIdentity('id-b', 'demo', ids.b.clientId);
  const both = cluster.addPod(pod('both', 'demo', '127.0.0.1'));
  cluster.assign(both, identityA);
  cluster.assign(both, identityB);
  cluster.assign(cluster.addPod(pod('only-a', 'demo', '127.0.0.2')), identityA);
  cluster.addPod(pod('excepted', 'demo', '127.0.0.3', { labels: { app: 'infra' } }));
  cluster.exceptions.push(exception('infra', 'demo', { app: 'infra' }));
  nmi = createNmiServer({
    pods: cluster.podLookup,
    exceptions: cluster.exceptionLookup,
    identities: cluster.standard,
    secrets: cluster.secretLookup,
    imdsBaseUrl: vm.imds[0]?.url ?? '',
    imdsMaxAttempts: 1,
    retryAttemptsForCreated: 1,
    retryAttemptsForAssigned: 0,
    findIdentityRetryIntervalSeconds: 0,
  });
  ({ port } = await nmi.listen(0));
  // Managed mode (§3.9): pod `labelled` (127.0.0.4) is selected by bindings to a and b.
  cluster.identities.push(identityA, identityB);
  cluster.bindings.push(binding('to-a', 'demo', 'id-a', 'both'), binding('to-b', 'demo', 'id-b', 'both'));
  cluster.addPod(pod('labelled', 'demo', '127.0.0.4', { labels: { aadpodidbinding: 'both' } }));
  managed = createNmiServer({
    pods: cluster.podLookup,
    exceptions: cluster.exceptionLookup,
    identities: cluster.managed,
    secrets: cluster.secretLookup,
    imdsBaseUrl: vm.imds[0]?.url ?? '',
    imdsMaxAttempts: 1,
  });
  ({ port: managedPort } = await managed.listen(0));
  savedEnv = process.env[ENV];
  process.env[ENV] = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env[ENV];
  else process.env[ENV] = savedEnv;
  await nmi.close();
  await managed.close();
  await emulator.close();
});

function ask(from: string, query: string, to = port) {
  return httpGet(to, `${TOKEN}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}&${query}`, {
    localAddress: from,
    headers: METADATA,
  });
}

function claimsOf(body: string) {
  return decodeJwt(String((JSON.parse(body) as Record<string, unknown>)['access_token']));
}

describe('object_id selects exactly that identity (issue 15 item 1)', () => {
  test('a pod bound to two identities gets each one by its object ID, never the other', async () => {
    for (const name of ['b', 'a', 'b'] as const) {
      const answer = await ask('127.0.0.1', `object_id=${ids[name].principalId}`);
      expect(answer.status).toBe(200);
      const claims = claimsOf(answer.body);
      expect(claims['oid']).toBe(ids[name].principalId);
      expect(claims['appid']).toBe(ids[name].clientId);
      expect(String(claims['xms_mirid']).toLowerCase()).toBe(ids[name].id.toLowerCase());
      expect(JSON.parse(answer.body).client_id).toBe(ids[name].clientId);
    }
    // Upper case is the same object ID (Azure IDs are case-insensitive).
    const upper = await ask('127.0.0.1', `object_id=${ids.b.principalId.toUpperCase()}`);
    expect(claimsOf(upper.body)['oid']).toBe(ids.b.principalId);
  });

  test("a pod bound to one identity asking for another's object ID is refused like an unknown client_id", async () => {
    // Warm the cache with b's token (pod `both`), so a wrongly keyed cache would have something to leak.
    expect((await ask('127.0.0.1', `object_id=${ids.b.principalId}`)).status).toBe(200);
    for (const other of [ids.b, ids.c]) {
      const refused = await ask('127.0.0.2', `object_id=${other.principalId}`);
      expect(refused.status).toBe(404);
      expect(refused.body).not.toContain('access_token');
      expect(errorText(refused)).toMatch(
        /^no azure identity found for request objectID \S{4}##### REDACTED #####\S{4}$/,
      );
    }
    const own = await ask('127.0.0.2', `object_id=${ids.a.principalId}`);
    expect(claimsOf(own.body)['oid']).toBe(ids.a.principalId);
  });

  test('object_id with a client_id of another identity is refused, not answered with either', async () => {
    const answer = await ask('127.0.0.1', `client_id=${ids.a.clientId}&object_id=${ids.b.principalId}`);
    expect(answer.status).toBe(404);
    expect(errorText(answer)).toMatch(/^no azure identity found for request objectID /);
    const agreeing = await ask('127.0.0.1', `client_id=${ids.b.clientId}&object_id=${ids.b.principalId}`);
    expect(claimsOf(agreeing.body)['oid']).toBe(ids.b.principalId);
  });

  test('principal_id is read as the same selector', async () => {
    const answer = await ask('127.0.0.1', `principal_id=${ids.b.principalId}`);
    expect(claimsOf(answer.body)['oid']).toBe(ids.b.principalId);
    const refused = await ask('127.0.0.2', `principal_id=${ids.b.principalId}`);
    expect(refused.status).toBe(404);
  });

  test('an excepted pod is served by IMDS itself, which selects by object_id', async () => {
    const answer = await ask('127.0.0.3', `object_id=${ids.c.principalId}`);
    expect(answer.status).toBe(200);
    expect(claimsOf(answer.body)['oid']).toBe(ids.c.principalId);
  });

  test("managed mode: the bindings' identities are the candidates", async () => {
    const b = await ask('127.0.0.4', `object_id=${ids.b.principalId}`, managedPort);
    expect(claimsOf(b.body)['oid']).toBe(ids.b.principalId);
    const c = await ask('127.0.0.4', `object_id=${ids.c.principalId}`, managedPort);
    expect(c.status).toBe(404);
    expect(errorText(c)).toMatch(/^no azure identity found for request objectID /);
  });

  test('/host/token: the same rule for the pod named in the headers', async () => {
    const hostAsk = (objectId: string) =>
      httpGet(port, `/host/token/?resource=${encodeURIComponent(VAULT)}&object_id=${objectId}`, {
        localAddress: '127.0.0.1',
        headers: { podns: 'demo', podname: 'only-a' },
      });
    const own = await hostAsk(ids.a.principalId);
    expect(own.status).toBe(200);
    expect(decodeJwt(String(JSON.parse(own.body).token.access_token))['oid']).toBe(ids.a.principalId);
    const other = await hostAsk(ids.b.principalId);
    expect(other.status).toBe(404);
    expect(other.body).not.toContain('access_token');
  });

  test('msal-node userAssignedObjectId gets the token of that identity', async () => {
    const app = new ManagedIdentityApplication({
      managedIdentityIdParams: { userAssignedObjectId: ids.b.principalId },
    });
    const result = await app.acquireToken({ resource: 'https://storage.azure.com' });
    expect(decodeJwt(result.accessToken)['oid']).toBe(ids.b.principalId);
  });

  test('@azure/identity ManagedIdentityCredential({ objectId }) gets the token of that identity', async () => {
    // b, not the pod's first identity a: the one upstream would have answered whatever was asked.
    const credential = new ManagedIdentityCredential({ objectId: ids.b.principalId });
    const token = await credential.getToken('https://management.azure.com/.default');
    expect(decodeJwt(token.token)['oid']).toBe(ids.b.principalId);
  });
});
