import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ManagedIdentityCredential } from '@azure/identity';
import { ManagedIdentityApplication } from '@azure/msal-node';
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import type { ImdsEndpoint } from './imds-listeners.js';
import { type EmulatedWorld, startEmulatedWorld } from '../test-support/emulated-world.js';
import { rawRequest } from '../test-support/https-request.js';

// msal-node keeps the managed-identity source (and so the IMDS URL) in a static, once per module registry:
// this file therefore talks to exactly one node's IMDS with both libraries.
describe('IMDS through msal-node and @azure/identity', () => {
  let world: EmulatedWorld;
  let imds: ImdsEndpoint;
  let vmId: string;
  const previousHost = process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];

  beforeAll(async () => {
    world = await startEmulatedWorld({}, 2);
    const vm = await world.emulator.admin.createVirtualMachine({
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'aks-node-0',
      systemAssignedIdentity: true,
      imds: { host: '127.0.0.3' },
    });
    vmId = vm.id;
    imds = vm.imds[0]!;
    process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = imds.url;
  });

  afterAll(async () => {
    if (previousHost === undefined) delete process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
    else process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = previousHost;
    await world.emulator.close();
  });

  // The bodies upstream MIC sends (spec §2.10): add with `{}`; when no user identity would remain, only the
  // type changes back to SystemAssigned.
  async function assign(identityId: string, how: 'add' | 'removeLast') {
    const identity =
      how === 'add'
        ? { type: 'SystemAssigned, UserAssigned' as const, userAssignedIdentities: { [identityId]: {} } }
        : { type: 'SystemAssigned' as const };
    await world.compute.virtualMachines.beginUpdateAndWait(
      world.resourceGroup,
      'aks-node-0',
      { identity },
      {
        updateIntervalInMs: 10,
      },
    );
  }

  test('the listener is on its own loopback address', () => {
    expect(imds.host).toBe('127.0.0.3');
    expect(imds.url).toBe(`http://127.0.0.3:${imds.port}`);
    expect(world.emulator.admin.imdsEndpoint('aks-node-0')).toEqual(imds);
  });

  test('msal-node: a token only while the identity is assigned in ARM; unassigning via ARM PATCH makes IMDS refuse', async () => {
    const identity = await world.msi.userAssignedIdentities.get('rg-identities', 'id-0');
    const app = new ManagedIdentityApplication({
      managedIdentityIdParams: { userAssignedClientId: identity.clientId! },
    });

    await expect(app.acquireToken({ resource: 'https://vault.azure.net' })).rejects.toThrow(/Identity not found/);

    await assign(identity.id!, 'add');
    const result = await app.acquireToken({ resource: 'https://vault.azure.net', forceRefresh: true });
    const { kid } = decodeProtectedHeader(result.accessToken);
    const keys = await rawRequest(`${world.emulator.aadUrl}/${world.tenantId}/discovery/v2.0/keys`, {
      ca: world.emulator.caCertPem,
    });
    const jwk = (keys.json.keys as JWK[]).find((k) => k.kid === kid)!;
    const { payload } = await jwtVerify(result.accessToken, await importJWK(jwk, 'RS256'), {
      audience: 'https://vault.azure.net',
    });
    expect(payload).toMatchObject({
      appid: identity.clientId,
      oid: identity.principalId,
      tid: world.tenantId,
      xms_mirid: identity.id,
    });

    await assign(identity.id!, 'removeLast');
    expect(world.emulator.admin.identityState(vmId).userAssignedIdentities).toEqual([]);
    await expect(app.acquireToken({ resource: 'https://vault.azure.net', forceRefresh: true })).rejects.toThrow(
      /Identity not found/,
    );
  });

  test('msal-node: the system-assigned identity without a selector', async () => {
    const app = new ManagedIdentityApplication({});
    const result = await app.acquireToken({ resource: 'https://storage.azure.com/' });
    const state = world.emulator.admin.identityState(vmId);
    expect(result.accessToken.split('.')).toHaveLength(3);
    const payload = JSON.parse(Buffer.from(result.accessToken.split('.')[1]!, 'base64url').toString());
    expect(payload.oid).toBe(state.systemAssigned!.principalId);
    expect(payload.aud).toBe('https://storage.azure.com/');
    expect(payload.xms_mirid).toBe(vmId);
  });

  test('@azure/identity ManagedIdentityCredential: by client ID while assigned, refused after unassignment', async () => {
    const identity = await world.msi.userAssignedIdentities.get('rg-identities', 'id-1');
    await assign(identity.id!, 'add');
    const credential = new ManagedIdentityCredential({ clientId: identity.clientId! });
    const token = await credential.getToken('https://management.azure.com/.default');
    expect(token.token.split('.')).toHaveLength(3);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());

    // The token is accepted by the emulated ARM too (same signing key, ARM audience).
    const res = await rawRequest(`${world.emulator.armUrl}${vmId}?api-version=2026-03-01`, {
      headers: { Authorization: `Bearer ${token.token}` },
      ca: world.emulator.caCertPem,
    });
    expect(res.status).toBe(200);

    await assign(identity.id!, 'removeLast');
    const fresh = new ManagedIdentityCredential({ clientId: identity.clientId! });
    await expect(fresh.getToken('https://vault.azure.net/.default')).rejects.toThrow(/Identity not found/);
  });
});
