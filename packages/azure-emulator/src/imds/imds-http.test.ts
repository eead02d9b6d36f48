import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type EmulatedWorld, startEmulatedWorld } from '../test-support/emulated-world.js';
import { rawRequest } from '../test-support/https-request.js';
import type { ImdsEndpoint } from './imds-listeners.js';

const TOKEN = '/metadata/identity/oauth2/token';

describe('IMDS wire contract', () => {
  let world: EmulatedWorld;
  let nodes: ImdsEndpoint[];
  let vmssId: string;
  let identity: { id: string; clientId: string; principalId: string };

  beforeAll(async () => {
    world = await startEmulatedWorld({}, 2);
    const created = await world.emulator.admin.createVirtualMachineScaleSet({
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'aks-pool',
      userAssignedIdentities: [world.identityIds[0]!],
      instances: [{ nodeName: 'aks-pool-000000' }, { nodeName: 'aks-pool-000001', imds: { host: '127.0.0.4' } }],
    });
    vmssId = created.id;
    nodes = created.imds;
    const record = await world.msi.userAssignedIdentities.get('rg-identities', 'id-0');
    identity = { id: record.id!, clientId: record.clientId!, principalId: record.principalId! };
  });

  afterAll(async () => {
    await world.emulator.close();
  });

  function get(node: ImdsEndpoint, pathAndQuery: string, metadata: string | null = 'true') {
    return rawRequest(`${node.url}${pathAndQuery}`, { headers: metadata === null ? {} : { Metadata: metadata } });
  }

  test('every VMSS instance has its own listener serving the scale set identities', async () => {
    expect(nodes.map((n) => n.nodeName)).toEqual(['aks-pool-000000', 'aks-pool-000001']);
    expect(nodes[1]!.host).toBe('127.0.0.4');
    for (const node of nodes) {
      const res = await get(
        node,
        `${TOKEN}?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&client_id=${identity.clientId}`,
      );
      expect(res.status).toBe(200);
      expect(res.json.client_id).toBe(identity.clientId);
    }
  });

  test('the response has the real IMDS fields, all strings, resource echoed byte for byte', async () => {
    for (const resource of ['https://management.azure.com/', 'https://management.azure.com', 'api://My App?x=1']) {
      const res = await get(
        nodes[0]!,
        `${TOKEN}/?api-version=2018-02-01&resource=${encodeURIComponent(resource)}&client_id=${identity.clientId.toUpperCase()}`,
      );
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(Object.keys(res.json).sort()).toEqual(
        [
          'access_token',
          'client_id',
          'expires_in',
          'expires_on',
          'ext_expires_in',
          'not_before',
          'resource',
          'token_type',
        ].sort(),
      );
      for (const value of Object.values(res.json)) expect(typeof value).toBe('string');
      expect(res.json.resource).toBe(resource);
      expect(res.json.token_type).toBe('Bearer');
      expect(Number(res.json.expires_on) - Number(res.json.expires_in)).toBeLessThanOrEqual(
        Math.ceil(Date.now() / 1000),
      );
    }
  });

  test.each(['object_id', 'msi_res_id', 'mi_res_id'])('selects the identity by %s', async (selector) => {
    const value = selector === 'object_id' ? identity.principalId : identity.id.toLowerCase();
    const res = await get(
      nodes[1]!,
      `${TOKEN}?api-version=2018-02-01&resource=r&${selector}=${encodeURIComponent(value)}`,
    );
    expect(res.status).toBe(200);
    expect(res.json.client_id).toBe(identity.clientId);
    const claims = JSON.parse(Buffer.from(res.json.access_token.split('.')[1], 'base64url').toString());
    expect(claims.xms_mirid).toBe(identity.id);
  });

  test.each([
    ['an identity not assigned to the scale set', 'client_id=00000000-0000-0000-0000-000000000000'],
    ['no selector and no system-assigned identity', ''],
  ])('%s -> 400 Identity not found', async (_name, selector) => {
    const res = await get(nodes[0]!, `${TOKEN}?api-version=2018-02-01&resource=r&${selector}`);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_request', error_description: 'Identity not found' });
  });

  test('the Metadata header is required', async () => {
    for (const metadata of [null, 'false']) {
      const res = await get(nodes[0]!, `${TOKEN}?api-version=2018-02-01&resource=r`, metadata);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        error: 'invalid_request',
        error_description: 'Required metadata header not specified',
      });
    }
    expect((await get(nodes[0]!, '/metadata/instance?api-version=2021-02-01', null)).status).toBe(400);
  });

  test.each([
    ['api-version missing', `${TOKEN}?resource=r`, 'Required query variable api-version is missing'],
    ['resource missing', `${TOKEN}?api-version=2018-02-01`, 'Required audience parameter not specified'],
    [
      'two selectors',
      `${TOKEN}?api-version=2018-02-01&resource=r&client_id=a&object_id=b`,
      'Only one of client_id, object_id, msi_res_id or mi_res_id may be specified',
    ],
  ])('%s -> 400', async (_name, path, description) => {
    const res = await get(nodes[0]!, path);
    expect(res.status).toBe(400);
    expect(res.json.error_description).toBe(description);
  });

  test('unknown paths are 404', async () => {
    expect((await get(nodes[0]!, '/metadata/identity/oauth2/tokens?api-version=1')).status).toBe(404);
    expect((await get(nodes[0]!, '/')).status).toBe(404);
  });

  test('/metadata/instance describes the instance', async () => {
    const res = await get(nodes[1]!, '/metadata/instance?api-version=2021-02-01');
    expect(res.status).toBe(200);
    expect(res.json.compute).toMatchObject({
      computerName: 'aks-pool-000001',
      vmScaleSetName: 'aks-pool',
      subscriptionId: world.subscriptionId,
      resourceGroupName: world.resourceGroup,
      resourceId: `${vmssId}/virtualMachines/1`,
    });
    expect(Array.isArray(res.json.network.interface)).toBe(true);
  });

  test('injected IMDS faults: counted 500s, then 429 with Retry-After, counted per kind', async () => {
    world.emulator.admin.resetCounters();
    world.emulator.admin.injectFault('imds', 'imds_token', { status: 500, count: 2 });
    const path = `${TOKEN}?api-version=2018-02-01&resource=r&client_id=${identity.clientId}`;
    expect((await get(nodes[0]!, path)).status).toBe(500);
    expect((await get(nodes[0]!, path)).status).toBe(500);
    expect((await get(nodes[0]!, path)).status).toBe(200);
    world.emulator.admin.injectFault('imds', 'imds_token', { status: 429, count: 1, retryAfterSeconds: 2 });
    const throttled = await get(nodes[0]!, path);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('2');
    expect(world.emulator.admin.requestCounts()['imds_token']).toBe(4);
  });

  test('a VM with a system-assigned identity gets a token without a selector on its own listener', async () => {
    const vm = await world.emulator.admin.createVirtualMachine({
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'lonely',
      systemAssignedIdentity: true,
    });
    const ok = await get(vm.imds[0]!, `${TOKEN}?api-version=2018-02-01&resource=r`);
    expect(ok.status).toBe(200);
    expect(ok.json.client_id).toBe(world.emulator.admin.identityState(vm.id).systemAssigned!.clientId);
    expect(world.emulator.imdsEndpoints().map((e) => e.nodeName)).toContain('lonely');
  });
});
