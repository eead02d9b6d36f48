import { generateKeyPairSync, createSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ComputeManagementClient } from '@azure/arm-compute';
import { type EmulatedWorld, startEmulatedWorld } from '../test-support/emulated-world.js';
import { type RawResponse, rawRequest } from '../test-support/https-request.js';

// upstream MIC's pattern for pulling the offending identity IDs out of an ARM error message (spec §2.10)
const UPSTREAM_ID_PATTERN =
  /(,?\/subscriptions\/[a-zA-Z0-9-_]+\/resourcegroups\/[a-zA-Z0-9-_]+\/providers\/Microsoft.ManagedIdentity\/userAssignedIdentities\/[a-zA-Z0-9-_]+)+/i;
const API = 'api-version=2026-03-01';

describe('ARM over the wire', () => {
  let world: EmulatedWorld;
  let token: string;
  let vmPath: string;

  beforeAll(async () => {
    world = await startEmulatedWorld();
    await world.emulator.admin.createVirtualMachine({
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'vm-wire',
      imds: false,
    });
    token = world.emulator.admin.issueAccessToken({ tenantId: world.tenantId, clientId: world.sp.clientId });
    vmPath = `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.Compute/virtualMachines/vm-wire`;
  });

  afterAll(async () => {
    await world.emulator.close();
  });

  function arm(
    path: string,
    options: { method?: string; body?: string; auth?: string | null } = {},
  ): Promise<RawResponse> {
    const auth = options.auth === undefined ? `Bearer ${token}` : options.auth;
    return rawRequest(`${world.emulator.armUrl}${path}`, {
      method: options.method ?? 'GET',
      headers: { ...(auth ? { Authorization: auth } : {}), 'Content-Type': 'application/json' },
      ...(options.body !== undefined ? { body: options.body } : {}),
      ca: world.emulator.caCertPem,
    });
  }

  describe('authentication', () => {
    test('a missing Authorization header is 401 AuthenticationFailed with a Bearer challenge', async () => {
      const res = await arm(`${vmPath}?${API}`, { auth: null });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('AuthenticationFailed');
      expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer authorization_uri=/);
    });

    test('a garbage token is 401 InvalidAuthenticationToken', async () => {
      const res = await arm(`${vmPath}?${API}`, { auth: 'Bearer not.a.jwt' });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('InvalidAuthenticationToken');
    });

    test('a token signed by another key is refused', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const [header, payload] = token.split('.');
      const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey).toString('base64url');
      const res = await arm(`${vmPath}?${API}`, { auth: `Bearer ${header}.${payload}.${signature}` });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('InvalidAuthenticationToken');
    });

    test('an expired token is 401 ExpiredAuthenticationToken', async () => {
      const expired = world.emulator.admin.issueAccessToken({
        tenantId: world.tenantId,
        clientId: world.sp.clientId,
        lifetimeSeconds: -1,
      });
      const res = await arm(`${vmPath}?${API}`, { auth: `Bearer ${expired}` });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('ExpiredAuthenticationToken');
    });

    test('a token for another audience is 401 InvalidAuthenticationTokenAudience', async () => {
      const vault = world.emulator.admin.issueAccessToken({
        tenantId: world.tenantId,
        clientId: world.sp.clientId,
        audience: 'https://vault.azure.net',
      });
      const res = await arm(`${vmPath}?${API}`, { auth: `Bearer ${vault}` });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('InvalidAuthenticationTokenAudience');
    });

    test('a token from another tenant is 401 InvalidAuthenticationTokenTenant', async () => {
      const other = world.emulator.admin.createSubscription();
      const sp = world.emulator.admin.createServicePrincipal({ tenantId: other.tenantId, secret: 's' });
      const foreign = world.emulator.admin.issueAccessToken({ tenantId: other.tenantId, clientId: sp.clientId });
      const res = await arm(`${vmPath}?${API}`, { auth: `Bearer ${foreign}` });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('InvalidAuthenticationTokenTenant');
    });
  });

  describe('subscription list (what az login reads after getting its token)', () => {
    test("GET /subscriptions lists the subscriptions of the caller's tenant only", async () => {
      const second = world.emulator.admin.createSubscription({ tenantId: world.tenantId });
      world.emulator.admin.createSubscription(); // another tenant's
      const res = await arm(`/subscriptions?api-version=2022-12-01`);
      expect(res.status).toBe(200);
      const listed = (res.json.value as { subscriptionId: string; tenantId: string; id: string; state: string }[])
        .map((s) => ({ subscriptionId: s.subscriptionId, tenantId: s.tenantId, id: s.id, state: s.state }))
        .sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId));
      const expected = [world.subscriptionId, second.subscriptionId]
        .sort()
        .map((id) => ({ subscriptionId: id, tenantId: world.tenantId, id: `/subscriptions/${id}`, state: 'Enabled' }));
      expect(listed).toEqual(expected);
      expect(res.json.count).toEqual({ type: 'Total', value: 2 });
    });

    test('the list needs a token and allows only GET', async () => {
      expect((await arm(`/subscriptions?${API}`, { auth: null })).status).toBe(401);
      expect((await arm(`/subscriptions?${API}`, { method: 'POST', body: '{}' })).json.error.code).toBe(
        'MethodNotAllowed',
      );
    });
  });

  describe('bad requests get ARM error bodies', () => {
    test('unknown subscription, resource group and VM', async () => {
      const unknownSub = await arm(
        `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/x/providers/Microsoft.Compute/virtualMachines/y?${API}`,
      );
      expect(unknownSub.status).toBe(404);
      expect(unknownSub.json.error.code).toBe('SubscriptionNotFound');
      const unknownRg = await arm(
        `/subscriptions/${world.subscriptionId}/resourceGroups/nope/providers/Microsoft.Compute/virtualMachines/y?${API}`,
      );
      expect(unknownRg.status).toBe(404);
      expect(unknownRg.json.error).toEqual({
        code: 'ResourceGroupNotFound',
        message: "Resource group 'nope' could not be found.",
      });
      const unknownVm = await arm(`${vmPath}-nope?${API}`);
      expect(unknownVm.status).toBe(404);
      expect(unknownVm.json.error.code).toBe('ResourceNotFound');
    });

    test('the SDK surfaces ARM 404s as RestErrors with the code', async () => {
      await expect(world.compute.virtualMachines.get('nope', 'vm-wire')).rejects.toMatchObject({
        statusCode: 404,
        code: 'ResourceGroupNotFound',
      });
    });

    test('a missing api-version is 400 MissingApiVersionParameter', async () => {
      const res = await arm(vmPath);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('MissingApiVersionParameter');
    });

    test.each([
      ['malformed JSON', '{"identity": {'],
      ['a JSON array', '[]'],
      ['an empty body', ''],
    ])('%s is 400 InvalidRequestContent and is logged', async (_name, body) => {
      const res = await arm(`${vmPath}?${API}`, { method: 'PATCH', body });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('InvalidRequestContent');
      const last = world.emulator.admin.patchLog().at(-1);
      expect(last).toMatchObject({ kind: 'vm_update', status: 400 });
    });

    test('an unparsable request target and an oversized body get ARM errors, not a crash', async () => {
      const badTarget = await arm('//[');
      expect(badTarget.status).toBe(400);
      expect(badTarget.json.error.code).toBe('InvalidRequestUri');
      const huge = await arm(`${vmPath}?${API}`, {
        method: 'PATCH',
        body: `{"tags":"${'x'.repeat(5 * 1024 * 1024)}"}`,
      });
      expect(huge.status).toBe(413);
      expect(huge.json.error.code).toBe('RequestEntityTooLarge');
      expect((await arm(`${vmPath}?${API}`)).status).toBe(200);
    });

    test('an unsupported method is 405 and unknown paths are 404', async () => {
      expect((await arm(`${vmPath}?${API}`, { method: 'DELETE' })).json.error.code).toBe('MethodNotAllowed');
      const unknown = await arm(`/subscriptions/${world.subscriptionId}/somethingElse?${API}`);
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.code).toBe('NotFound');
    });
  });

  describe('identity PATCH failures carry the IDs the way upstream parses them', () => {
    test('unknown identities -> 400 FailedIdentityOperation', async () => {
      const ghosts = ['ghost-a', 'ghost-b'].map(
        (name) =>
          `/subscriptions/${world.subscriptionId}/resourcegroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
      );
      const body = {
        identity: { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(ghosts.map((g) => [g, {}])) },
      };
      const error = await world.compute.virtualMachines
        .beginUpdateAndWait(world.resourceGroup, 'vm-wire', body as never, { updateIntervalInMs: 10 })
        .then(
          () => undefined,
          (e: unknown) => e as { statusCode: number; code: string; message: string },
        );
      expect(error).toMatchObject({ statusCode: 400, code: 'FailedIdentityOperation' });
      expect(UPSTREAM_ID_PATTERN.exec(error!.message)?.[0].split(',')).toEqual(ghosts);
    });

    test('identities in an unknown scope -> 403 LinkedAuthorizationFailed', async () => {
      const foreign = `/subscriptions/${world.subscriptionId}/resourcegroups/rg-elsewhere/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x`;
      const res = await arm(`${vmPath}?${API}`, {
        method: 'PATCH',
        body: JSON.stringify({ identity: { type: 'UserAssigned', userAssignedIdentities: { [foreign]: {} } } }),
      });
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('LinkedAuthorizationFailed');
      expect(UPSTREAM_ID_PATTERN.exec(res.json.error.message)?.[0]).toBe(foreign);
    });

    test('an identity the caller may not assign -> 403 LinkedAuthorizationFailed', async () => {
      const [, , id2] = world.identityIds;
      world.emulator.admin.denyIdentityAssignment(id2!);
      const res = await arm(`${vmPath}?${API}`, {
        method: 'PATCH',
        body: JSON.stringify({ identity: { type: 'UserAssigned', userAssignedIdentities: { [id2!]: {} } } }),
      });
      expect(res.status).toBe(403);
      expect(res.json.error.message).toContain(`'${id2}'`);
    });

    test('a resource in Deleting refuses PATCH with 409 OperationNotAllowed, GET still works', async () => {
      const { id } = await world.emulator.admin.createVirtualMachine({
        subscriptionId: world.subscriptionId,
        resourceGroup: world.resourceGroup,
        name: 'vm-doomed',
        imds: false,
      });
      world.emulator.admin.setProvisioningState(id, 'Deleting');
      const res = await arm(`${id}?${API}`, {
        method: 'PATCH',
        body: JSON.stringify({ identity: { type: 'SystemAssigned' } }),
      });
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('OperationNotAllowed');
      expect((await world.compute.virtualMachines.get(world.resourceGroup, 'vm-doomed')).provisioningState).toBe(
        'Deleting',
      );
      expect(world.emulator.admin.identityState(id).type).toBe('None');
    });
  });

  describe('long-running PATCH', () => {
    test('answers 200 with Azure-AsyncOperation and Location; the status resource reaches Succeeded', async () => {
      const [id0] = world.identityIds;
      const res = await arm(`${vmPath}?${API}`, {
        method: 'PATCH',
        body: JSON.stringify({ identity: { type: 'UserAssigned', userAssignedIdentities: { [id0!]: {} } } }),
      });
      expect(res.status).toBe(200);
      expect(res.json.properties.provisioningState).toBe('Updating');
      const asyncUrl = String(res.headers['azure-asyncoperation']);
      expect(
        asyncUrl.startsWith(
          `${world.emulator.armUrl}/subscriptions/${world.subscriptionId}/providers/Microsoft.Compute/locations/`,
        ),
      ).toBe(true);
      expect(String(res.headers['location'])).toContain('/operationResults/');
      let status = '';
      for (let attempt = 0; attempt < 200 && status !== 'Succeeded'; attempt++) {
        const poll = await rawRequest(asyncUrl, {
          headers: { Authorization: `Bearer ${token}` },
          ca: world.emulator.caCertPem,
        });
        status = poll.json.status;
        if (status !== 'Succeeded') await new Promise((r) => setTimeout(r, 5));
      }
      expect(status).toBe('Succeeded');
      const result = await rawRequest(String(res.headers['location']), {
        headers: { Authorization: `Bearer ${token}` },
        ca: world.emulator.caCertPem,
      });
      expect(result.status).toBe(200);
      expect(Object.keys(result.json.identity.userAssignedIdentities)).toEqual([id0]);
    });

    test('the PATCH log records body, target and status of every PATCH', async () => {
      world.emulator.admin.resetCounters();
      const [id1] = world.identityIds.slice(1);
      const body = { identity: { type: 'UserAssigned' as const, userAssignedIdentities: { [id1!]: {} } } };
      await world.compute.virtualMachines.beginUpdateAndWait(world.resourceGroup, 'vm-wire', body, {
        updateIntervalInMs: 10,
      });
      const log = world.emulator.admin.patchLog();
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ kind: 'vm_update', resourceId: vmPath, status: 200, body });
      expect(typeof log[0]!.at).toBe('number');
      expect(world.emulator.admin.requestCounts()['vm_update']).toBe(1);
    });
  });

  describe('fault injection', () => {
    test('a counted 500 fails the call once; the SDK retry policy then succeeds', async () => {
      world.emulator.admin.injectFault('arm', 'vm_get', { status: 500, count: 1 });
      await expect(world.compute.virtualMachines.get(world.resourceGroup, 'vm-wire')).rejects.toMatchObject({
        statusCode: 500,
        code: 'InternalServerError',
      });
      expect((await world.compute.virtualMachines.get(world.resourceGroup, 'vm-wire')).name).toBe('vm-wire');

      world.emulator.admin.injectFault('arm', 'vm_get', { status: 500, count: 2 });
      const retrying = new ComputeManagementClient(world.credential, world.subscriptionId, {
        endpoint: world.emulator.armUrl,
        tlsOptions: { ca: world.emulator.caCertPem },
        retryOptions: { maxRetries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 5 },
      });
      world.emulator.admin.resetCounters();
      expect((await retrying.virtualMachines.get(world.resourceGroup, 'vm-wire')).name).toBe('vm-wire');
      expect(world.emulator.admin.requestCounts()['vm_get']).toBe(3);
    });

    test('an injected 429 carries Retry-After and an ARM body', async () => {
      world.emulator.admin.injectFault('arm', 'vm_update', { status: 429, count: 1, retryAfterSeconds: 7 });
      const res = await arm(`${vmPath}?${API}`, { method: 'PATCH', body: '{}' });
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('7');
      expect(res.json.error.code).toBe('TooManyRequests');
    });

    test('a rate-based fault (rate 1) fires on every request until cleared', async () => {
      world.emulator.admin.injectFault('arm', 'identity_get', { status: 503, rate: 1 });
      const path = `/subscriptions/${world.subscriptionId}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-0?${API}`;
      expect((await arm(path)).status).toBe(503);
      expect((await arm(path)).status).toBe(503);
      world.emulator.admin.clearFaults('arm', 'identity_get');
      expect((await arm(path)).status).toBe(200);
    });
  });
});
