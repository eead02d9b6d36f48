import { afterEach, describe, expect, test } from '@jest/globals';
import type { AzureEmulatorOptions } from '../azure-emulator.js';
import { type EmulatedWorld, startEmulatedWorld } from '../test-support/emulated-world.js';
import { rawRequest } from '../test-support/https-request.js';

const API = 'api-version=2026-03-01';

describe('ARM throttling and concurrent updates', () => {
  let world: EmulatedWorld | undefined;

  afterEach(async () => {
    await world?.emulator.close();
    world = undefined;
  });

  async function setUp(options: AzureEmulatorOptions) {
    world = await startEmulatedWorld(options, 2);
    const { id } = await world.emulator.admin.createVirtualMachineScaleSet({
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'vmss',
      instances: [{ nodeName: 'vmss-000000', imds: false }],
    });
    const token = world.emulator.admin.issueAccessToken({ tenantId: world.tenantId, clientId: world.sp.clientId });
    const w = world;
    const call = (method: string, url: string, body?: unknown) =>
      rawRequest(url.startsWith('https:') ? url : `${w.emulator.armUrl}${url}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ca: w.emulator.caCertPem,
      });
    return { world: w, vmssPath: `${id}?${API}`, call };
  }

  test('reads and writes have separate budgets; 429 SubscriptionRequestsThrottled with Retry-After until the window resets', async () => {
    let now = Date.UTC(2026, 0, 1);
    const {
      world: w,
      vmssPath,
      call,
    } = await setUp({
      now: () => now,
      throttle: { reads: { limit: 2, windowMs: 60_000 }, writes: { limit: 1, windowMs: 60_000 } },
    });
    const first = await call('GET', vmssPath);
    expect(first.status).toBe(200);
    expect(first.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('1');
    expect((await call('GET', vmssPath)).status).toBe(200);
    const throttled = await call('GET', vmssPath);
    expect(throttled.status).toBe(429);
    expect(throttled.json.error.code).toBe('SubscriptionRequestsThrottled');
    expect(throttled.headers['retry-after']).toBe('60');

    // Writes still have their own budget.
    const patch = await call('PATCH', vmssPath, { identity: { type: 'SystemAssigned' } });
    expect(patch.status).toBe(200);
    expect((await call('PATCH', vmssPath, { identity: { type: 'SystemAssigned' } })).status).toBe(429);

    now += 45_000;
    expect((await call('GET', vmssPath)).headers['retry-after']).toBe('15');
    now += 15_000;
    expect((await call('GET', vmssPath)).status).toBe(200);
    expect(w.emulator.admin.requestCounts()['vmss_get']).toBe(5);
  });

  test("a second PATCH while the first is in flight is refused with 409 Conflict (ARM's behaviour)", async () => {
    const { world: w, vmssPath, call } = await setUp({ latency: { scaleSetUpdateMs: 60_000 } });
    const [a, b] = w.identityIds;
    const first = await call('PATCH', vmssPath, {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [a!]: {} } },
    });
    expect(first.status).toBe(200);
    const second = await call('PATCH', vmssPath, {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [b!]: {} } },
    });
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('Conflict');
    const status = await call('GET', String(first.headers['azure-asyncoperation']));
    expect(status.json.status).toBe('InProgress');
    const during = await call('GET', vmssPath);
    expect(during.json.properties.provisioningState).toBe('Updating');
    // Nothing is applied until the operation completes.
    expect(during.json.identity).toBeUndefined();
    expect(w.emulator.admin.patchLog().map((e) => e.status)).toEqual([200, 409]);
  });

  test("with concurrentUpdates 'queue' the second PATCH composes after the first", async () => {
    const { world: w, vmssPath, call } = await setUp({ concurrentUpdates: 'queue', latency: { scaleSetUpdateMs: 20 } });
    const [a, b] = w.identityIds;
    const first = await call('PATCH', vmssPath, {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [a!]: {} } },
    });
    const second = await call('PATCH', vmssPath, { identity: { userAssignedIdentities: { [b!]: {} } } });
    expect([first.status, second.status]).toEqual([200, 200]);
    for (const url of [first.headers['azure-asyncoperation'], second.headers['azure-asyncoperation']]) {
      let status = '';
      for (let i = 0; i < 400 && status !== 'Succeeded'; i++) {
        status = (await call('GET', String(url))).json.status;
        if (status !== 'Succeeded') await new Promise((r) => setTimeout(r, 5));
      }
      expect(status).toBe('Succeeded');
    }
    expect(w.emulator.admin.identityState(vmssPath.split('?')[0]!).userAssignedIdentities.sort()).toEqual(
      [a, b].sort(),
    );
  });
});
