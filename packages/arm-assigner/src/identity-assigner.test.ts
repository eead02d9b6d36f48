import { describe, expect, test } from '@jest/globals';
import type { ArmTarget } from '@podid/crd-types';
import { planArmPatch } from '@podid/reconciler';
import { ArmAssignerError } from './errors.js';
import { IdentityAssigner, type IdentityAssignerOptions } from './identity-assigner.js';
import { FakeArmIdentityClient, identityId } from './test-support/fake-arm-identity-client.js';

const vmss: ArmTarget = { kind: 'vmss', subscriptionId: 'sub-1', resourceGroup: 'rg-nodes', name: 'pool-1' };
const otherVmss: ArmTarget = { ...vmss, name: 'pool-2' };
const vm: ArmTarget = { kind: 'vm', subscriptionId: 'sub-1', resourceGroup: 'rg-nodes', name: 'node-1' };

function setup(overrides: Partial<IdentityAssignerOptions> = {}) {
  const client = new FakeArmIdentityClient();
  let now = 1_000_000;
  const sleeps: number[] = [];
  const assigner = new IdentityAssigner({
    client,
    planPatch: planArmPatch,
    clock: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return {
    client,
    assigner,
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

function linkedAuthorizationFailed(ids: string[]): ArmAssignerError {
  return new ArmAssignerError(
    'authorization_failed',
    `failed to update identities, error: The client 'app' with object id 'oid' has permission to perform action 'Microsoft.Compute/virtualMachineScaleSets/write' on scope '/subscriptions/sub-1/resourceGroups/rg-nodes/providers/Microsoft.Compute/virtualMachineScaleSets/pool-1'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${ids.join(',')}' or the linked scope(s) are invalid.`,
    { statusCode: 403, armErrorCode: 'LinkedAuthorizationFailed', operation: 'write' },
  );
}

describe('applyIdentityDelta', () => {
  test('an empty delta makes no ARM call at all', async () => {
    const { client, assigner } = setup();
    const result = await assigner.applyIdentityDelta(vmss, { add: [], remove: [] });
    expect(result.status).toBe('noop');
    expect(client.calls).toEqual([]);
  });

  test('adds an identity with one GET and one PATCH and reports it applied', async () => {
    const { client, assigner } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    const id = identityId('App-Identity');
    const result = await assigner.applyIdentityDelta(vmss, { add: [id], remove: [] });
    expect(result.status).toBe('succeeded');
    expect(result.applied).toEqual({ added: [id], removed: [] });
    expect(result.dropped).toEqual([]);
    expect(result.patchCount).toBe(1);
    expect(client.callsOf('read')).toHaveLength(1);
    expect(client.callsOf('patch')[0]?.body).toEqual({
      identity: { type: 'UserAssigned', userAssignedIdentities: { [id.toLowerCase()]: {} } },
    });
    expect(result.finalIdentityState?.userAssignedIdentityIds).toEqual([id.toLowerCase()]);
  });

  test('an identity already present is a noop after the GET', async () => {
    const { client, assigner } = setup();
    const id = identityId('a');
    client.setState(vm, { type: 'UserAssigned', userAssignedIdentityIds: [id] });
    const result = await assigner.applyIdentityDelta(vm, { add: [id.toUpperCase()], remove: [] });
    expect(result.status).toBe('noop');
    expect(client.callsOf('patch')).toHaveLength(0);
    expect(result.finalIdentityState?.userAssignedIdentityIds).toEqual([id]);
  });

  test('an invalid target is refused before any call', async () => {
    const { client, assigner } = setup();
    const result = await assigner.applyIdentityDelta({ ...vmss, name: 'a/b' }, { add: [identityId('a')], remove: [] });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('invalid_target');
    expect(client.calls).toEqual([]);
  });

  test('a malformed ID is dropped locally; the valid ones are applied', async () => {
    const { client, assigner } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    const good = identityId('good');
    const result = await assigner.applyIdentityDelta(vmss, { add: [good, '/subscriptions/s/bogus'], remove: [] });
    expect(result.status).toBe('partially_succeeded');
    expect(result.applied.added).toEqual([good]);
    expect(result.dropped).toEqual([
      {
        id: '/subscriptions/s/bogus',
        reason: 'InvalidResourceId',
        message: expect.stringContaining('invalid resource id'),
      },
    ]);
    expect(Object.keys(client.callsOf('patch')[0]?.body?.identity.userAssignedIdentities ?? {})).toEqual([
      good.toLowerCase(),
    ]);
  });

  test('a delta of only malformed IDs fails with identities_rejected and makes no call', async () => {
    const { client, assigner } = setup();
    const result = await assigner.applyIdentityDelta(vmss, { add: ['nope'], remove: [] });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('identities_rejected');
    expect(result.dropped.map((d) => d.reason)).toEqual(['InvalidResourceId']);
    expect(client.calls).toEqual([]);
  });

  test('a Deleting target gets no PATCH and a target_deleting error', async () => {
    const { client, assigner } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [], provisioningState: 'Deleting' });
    const result = await assigner.applyIdentityDelta(vmss, { add: [identityId('a')], remove: [] });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('target_deleting');
    expect(result.error?.message).toContain("'Deleting' provisioning state");
    expect(client.callsOf('patch')).toHaveLength(0);
    expect(result.finalIdentityState?.provisioningState).toBe('Deleting');
  });

  test('160 additions go out as two sequential PATCHes of 150 and 10 entries', async () => {
    const { client, assigner } = setup();
    client.setState(vmss, { type: 'SystemAssigned', userAssignedIdentityIds: [] });
    const ids = Array.from({ length: 160 }, (_, i) => identityId(`id-${i}`));
    const result = await assigner.applyIdentityDelta(vmss, { add: ids, remove: [] });
    expect(result.status).toBe('succeeded');
    const sizes = client.callsOf('patch').map((c) => Object.keys(c.body?.identity.userAssignedIdentities ?? {}).length);
    expect(sizes).toEqual([150, 10]);
    expect(result.applied.added).toHaveLength(160);
    expect(result.finalIdentityState?.type).toBe('SystemAssigned, UserAssigned');
  });
});

describe('error-driven retry (LinkedAuthorizationFailed / FailedIdentityOperation)', () => {
  test('drops the named identity, waits the retry interval, re-sends the rest, and reports success (Q6)', async () => {
    const { client, assigner, sleeps } = setup({ updateUserMsiRetryIntervalMs: 1000 });
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    const good = identityId('good');
    const denied = identityId('denied');
    client.failures.push((call) => {
      const keys = Object.keys(call.body?.identity.userAssignedIdentities ?? {});
      return call.kind === 'patch' && keys.includes(denied.toLowerCase())
        ? linkedAuthorizationFailed([denied.toLowerCase()])
        : undefined;
    });
    const result = await assigner.applyIdentityDelta(vmss, { add: [good, denied], remove: [] });
    expect(result.status).toBe('partially_succeeded');
    expect(result.error).toBeUndefined();
    expect(result.applied.added).toEqual([good]);
    expect(result.dropped).toEqual([
      { id: denied, reason: 'LinkedAuthorizationFailed', message: expect.stringContaining('linked scope') },
    ]);
    expect(result.retries).toBe(1);
    expect(sleeps).toEqual([1000]);
    const patches = client.callsOf('patch');
    expect(patches).toHaveLength(2);
    expect(Object.keys(patches[1]?.body?.identity.userAssignedIdentities ?? {})).toEqual([good.toLowerCase()]);
  });

  test('gives up after updateUserMsiMaxRetry retries (default 2: at most 3 PATCH attempts)', async () => {
    const { client, assigner, sleeps } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    const ids = ['a', 'b', 'c', 'd'].map((n) => identityId(n));
    // Each attempt blames the first identity still in the body, so every retry has something to drop.
    client.failures.push((call) => {
      if (call.kind !== 'patch') return undefined;
      const first = Object.keys(call.body?.identity.userAssignedIdentities ?? {})[0];
      return first === undefined ? undefined : linkedAuthorizationFailed([first]);
    });
    const result = await assigner.applyIdentityDelta(vmss, { add: ids, remove: [] });
    expect(result.status).toBe('failed');
    expect(result.error?.armErrorCode).toBe('LinkedAuthorizationFailed');
    expect(client.callsOf('patch')).toHaveLength(3);
    expect(result.retries).toBe(2);
    expect(sleeps).toEqual([1000, 1000]);
    expect(result.dropped.map((d) => d.id)).toEqual([ids[0], ids[1]]);
    // After a failure the state is re-read so the caller can classify each identity.
    expect(client.callsOf('read')).toHaveLength(2);
  });

  test('an error that names no identity of the delta fails without retry', async () => {
    const { client, assigner, sleeps } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    client.failures.push((call) =>
      call.kind === 'patch' ? linkedAuthorizationFailed([identityId('someone-else').toLowerCase()]) : undefined,
    );
    const result = await assigner.applyIdentityDelta(vmss, { add: [identityId('mine')], remove: [] });
    expect(result.status).toBe('failed');
    expect(client.callsOf('patch')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test('when ARM refuses every identity the result is identities_rejected', async () => {
    const { client, assigner } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    const only = identityId('only');
    client.failures.push((call) =>
      call.kind === 'patch'
        ? new ArmAssignerError(
            'arm_request_failed',
            `FailedIdentityOperation: ... Response: '{"error":{"code":"NotFound","message":"Resource '${only}' not found."}}'`,
            { armErrorCode: 'FailedIdentityOperation' },
          )
        : undefined,
    );
    const result = await assigner.applyIdentityDelta(vmss, { add: [only], remove: [] });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('identities_rejected');
    expect(result.dropped).toEqual([{ id: only, reason: 'FailedIdentityOperation', message: expect.any(String) }]);
  });
});

describe('throttling (Retry-After deadlines, §2.10)', () => {
  function throttledOnce(kind: 'read' | 'patch', retryAt: number) {
    let fired = false;
    return (call: { kind: string }) => {
      if (fired || call.kind !== kind) return undefined;
      fired = true;
      return new ArmAssignerError('throttled', 'Too many requests', {
        statusCode: 429,
        retryAt,
        operation: kind === 'read' ? 'read' : 'write',
      });
    };
  }

  test('after a throttled GET, GETs fail fast without a call until the deadline, then resume', async () => {
    const { client, assigner, advance, now } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    const deadline = now() + 30_000;
    client.failures.push(throttledOnce('read', deadline));
    const delta = { add: [identityId('a')], remove: [] };

    const first = await assigner.applyIdentityDelta(vmss, delta);
    expect(first.error?.code).toBe('throttled');
    const readsAfterFirst = client.callsOf('read').length;

    advance(29_999);
    const second = await assigner.applyIdentityDelta(vmss, delta);
    expect(second.error).toMatchObject({ code: 'throttled', retryAt: deadline, operation: 'read' });
    expect(second.error?.message).toMatch(/^VMSSGet client throttled, retry after: /);
    await expect(assigner.getIdentityState(vmss)).rejects.toMatchObject({ code: 'throttled' });
    expect(client.callsOf('read')).toHaveLength(readsAfterFirst);

    advance(1);
    const third = await assigner.applyIdentityDelta(vmss, delta);
    expect(third.status).toBe('succeeded');
  });

  test('a throttled PATCH blocks writes but not reads; other target kinds are unaffected', async () => {
    const { client, assigner, advance, now } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    client.setState(vm, { type: 'None', userAssignedIdentityIds: [] });
    client.failures.push(throttledOnce('patch', now() + 10_000));
    const delta = { add: [identityId('a')], remove: [] };

    expect((await assigner.applyIdentityDelta(vmss, delta)).error?.code).toBe('throttled');
    const patches = client.callsOf('patch').length;
    const second = await assigner.applyIdentityDelta(vmss, delta);
    expect(second.error).toMatchObject({ code: 'throttled', operation: 'write' });
    expect(second.error?.message).toMatch(/^VMSSUpdate client throttled/);
    expect(client.callsOf('patch')).toHaveLength(patches);
    // Reads of the throttled client still work, and the VM client has its own deadlines.
    await expect(assigner.getIdentityState(vmss)).resolves.toMatchObject({ type: 'None' });
    expect((await assigner.applyIdentityDelta(vm, delta)).status).toBe('succeeded');

    advance(10_000);
    expect((await assigner.applyIdentityDelta(vmss, delta)).status).toBe('succeeded');
  });
});

describe('per-target serialization', () => {
  test('concurrent calls on one target never overlap; different targets run in parallel', async () => {
    const { client, assigner } = setup();
    client.setState(vmss, { type: 'None', userAssignedIdentityIds: [] });
    client.setState(otherVmss, { type: 'None', userAssignedIdentityIds: [] });
    let maxConcurrent = 0;
    client.patchGate = async () => {
      maxConcurrent = Math.max(maxConcurrent, client.inFlightPatches);
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const results = await assigner.applyAll([
      { target: vmss, delta: { add: [identityId('a')], remove: [] } },
      { target: vmss, delta: { add: [identityId('b')], remove: [] } },
      { target: otherVmss, delta: { add: [identityId('c')], remove: [] } },
      { target: vmss, delta: { add: [], remove: [identityId('a')] } },
    ]);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(
      client.maxInFlightPerTarget.get(
        '/subscriptions/sub-1/resourcegroups/rg-nodes/providers/microsoft.compute/virtualmachinescalesets/pool-1',
      ),
    ).toBe(1);
    expect(maxConcurrent).toBe(2);
    // Each call saw the previous call's result: the final state has b only.
    expect(client.stateOf(vmss)?.userAssignedIdentityIds).toEqual([identityId('b').toLowerCase()]);
  });
});

describe('call events (for the cloud_provider_operations_* metrics)', () => {
  test('every ARM call and every throttled refusal is reported with upstream operation names', async () => {
    const events: { operation: string; errorCode?: string }[] = [];
    const { client, assigner, now } = setup({
      onArmCall: (event) =>
        events.push({ operation: event.operation, ...(event.errorCode ? { errorCode: event.errorCode } : {}) }),
    });
    client.setState(vm, { type: 'None', userAssignedIdentityIds: [] });
    await assigner.applyIdentityDelta(vm, { add: [identityId('a')], remove: [] });
    client.failures.push((call) =>
      call.kind === 'read'
        ? new ArmAssignerError('throttled', 'Too many requests', { statusCode: 429, retryAt: now() + 1000 })
        : undefined,
    );
    await assigner.applyIdentityDelta(vm, { add: [identityId('b')], remove: [] });
    expect(events).toEqual([
      { operation: 'vm_get' },
      { operation: 'vm_update' },
      { operation: 'vm_get', errorCode: 'throttled' },
    ]);
    // A refusal by the gate is reported too, without a call.
    await expect(assigner.getIdentityState(vm)).rejects.toMatchObject({ code: 'throttled' });
    expect(events.at(-1)).toEqual({ operation: 'vm_get', errorCode: 'throttled' });
    expect(events).toHaveLength(4);
    expect(client.callsOf('read')).toHaveLength(2);
  });
});

describe('lookups', () => {
  test('getUserAssignedIdentity rejects a malformed ID with invalid_resource_id and no call', async () => {
    const { client, assigner } = setup();
    await expect(assigner.getUserAssignedIdentity('/subscriptions/x')).rejects.toMatchObject({
      code: 'invalid_resource_id',
    });
    expect(client.calls).toEqual([]);
    await expect(assigner.getUserAssignedIdentity(identityId('x'))).resolves.toMatchObject({ clientId: 'client-x' });
  });
});
