/**
 * applyIdentityDelta against the azure-emulator over HTTPS with the real @azure/arm-compute, @azure/arm-msi and
 * @azure/identity clients. Checklist rows 23–29 plus fault, serialization and bad-input cases.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { armTargetResourceId } from '@podid/crd-types';
import { createArmCredential } from './arm-credential.js';
import { createArmIdentityAssigner } from './create-arm-identity-assigner.js';
import {
  type EmulatorWorld,
  NODES_RG,
  OTHER_TENANT_SUBSCRIPTION,
  SUBSCRIPTION,
  seededRandom,
  startEmulatorWorld,
  TENANT,
  MIC_CLIENT_ID,
} from './test-support/emulator-world.js';
import { planArmPatch } from '@podid/reconciler';

let world: EmulatorWorld;

beforeAll(async () => {
  world = await startEmulatorWorld({ random: seededRandom(20261122) });
});

afterAll(async () => {
  await world?.close();
});

function patchesFor(resourceId: string) {
  return world.emulator.admin.patchLog().filter((entry) => entry.resourceId.toLowerCase() === resourceId.toLowerCase());
}

/** The user-assigned identity keys of a logged PATCH body. */
function entryKeys(body: unknown): string[] {
  const identity = (body as { identity?: { userAssignedIdentities?: Record<string, unknown> } }).identity;
  return Object.keys(identity?.userAssignedIdentities ?? {});
}

function counts() {
  return world.emulator.admin.requestCounts();
}

describe('PATCH bodies (rows 23–26)', () => {
  test('row 23: adding an identity sends exactly the upstream body with the lower-cased ID', async () => {
    const id = world.identity('Row23-Identity');
    const target = await world.scaleSet('row23');
    const { assigner } = world.assigner();
    const result = await assigner.applyIdentityDelta(target, { add: [id], remove: [] });
    expect(result.status).toBe('succeeded');
    expect(result.applied.added).toEqual([id]);
    const patches = patchesFor(armTargetResourceId(target));
    expect(patches).toHaveLength(1);
    expect(patches[0]?.body).toEqual({
      identity: { type: 'UserAssigned', userAssignedIdentities: { [id.toLowerCase()]: {} } },
    });
    expect(world.emulator.admin.identityState(armTargetResourceId(target)).userAssignedIdentities).toEqual([
      id.toLowerCase(),
    ]);
  });

  test('row 24: a system-assigned identity is kept when adding and when removing the last user identity', async () => {
    const id = world.identity('row24');
    const target = await world.virtualMachine('row24-vm', { systemAssigned: true });
    const resourceId = armTargetResourceId(target);
    const systemBefore = world.emulator.admin.identityState(resourceId).systemAssigned;
    const { assigner } = world.assigner();

    const added = await assigner.applyIdentityDelta(target, { add: [id], remove: [] });
    expect(added.status).toBe('succeeded');
    expect(added.finalIdentityState?.type).toBe('SystemAssigned, UserAssigned');
    const removed = await assigner.applyIdentityDelta(target, { add: [], remove: [id] });
    expect(removed.status).toBe('succeeded');
    expect(removed.applied.removed).toEqual([id]);

    const bodies = patchesFor(resourceId).map((p) => p.body as { identity: { type: string } });
    expect(bodies.map((b) => b.identity.type)).toEqual(['SystemAssigned, UserAssigned', 'SystemAssigned']);
    const after = world.emulator.admin.identityState(resourceId);
    expect(after.type).toBe('SystemAssigned');
    expect(after.systemAssigned).toEqual(systemBefore);
  });

  test('row 25: an identity assigned by hand and not in any delta survives add and remove cycles', async () => {
    const manual = world.identity('row25-manual');
    const managed = world.identity('row25-managed');
    const target = await world.scaleSet('row25', { userAssigned: [manual] });
    const { assigner } = world.assigner();
    for (let cycle = 0; cycle < 2; cycle++) {
      expect((await assigner.applyIdentityDelta(target, { add: [managed], remove: [] })).status).toBe('succeeded');
      expect((await assigner.applyIdentityDelta(target, { add: [], remove: [managed] })).status).toBe('succeeded');
    }
    expect(world.emulator.admin.identityState(armTargetResourceId(target)).userAssignedIdentities).toEqual([manual]);
    for (const patch of patchesFor(armTargetResourceId(target))) {
      expect(entryKeys(patch.body)).not.toContain(manual.toLowerCase());
    }
  });

  test('row 26: 160 identities go out as two PATCHes of 150 and 10 entries', async () => {
    const ids = Array.from({ length: 160 }, (_, i) => world.identity(`row26-${i}`));
    const target = await world.scaleSet('row26');
    const { assigner } = world.assigner();
    const result = await assigner.applyIdentityDelta(target, { add: ids, remove: [] });
    expect(result.status).toBe('succeeded');
    expect(result.patchCount).toBe(2);
    const sizes = patchesFor(armTargetResourceId(target)).map((p) => entryKeys(p.body).length);
    expect(sizes).toEqual([150, 10]);
    expect(world.emulator.admin.identityState(armTargetResourceId(target)).userAssignedIdentities).toHaveLength(160);
  });
});

describe('refusals and errors (rows 27–29)', () => {
  test('row 27: a Deleting VMSS gets no PATCH and a target_deleting error', async () => {
    const id = world.identity('row27');
    const target = await world.scaleSet('row27');
    world.emulator.admin.setProvisioningState(armTargetResourceId(target), 'Deleting');
    const { assigner } = world.assigner();
    const result = await assigner.applyIdentityDelta(target, { add: [id], remove: [] });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('target_deleting');
    expect(patchesFor(armTargetResourceId(target))).toHaveLength(0);
  });

  test('row 28: after a 429 with Retry-After: 30 no GET reaches ARM before the deadline', async () => {
    const id = world.identity('row28');
    const target = await world.scaleSet('row28');
    const { assigner, advance, now } = world.assigner();
    world.emulator.admin.injectFault('arm', 'vmss_get', { status: 429, count: 1, retryAfterSeconds: 30 });
    const getsBefore = counts()['vmss_get'] ?? 0;
    const start = now();

    const first = await assigner.applyIdentityDelta(target, { add: [id], remove: [] });
    expect(first.error).toMatchObject({
      code: 'throttled',
      statusCode: 429,
      retryAt: start + 30_000,
      operation: 'read',
    });
    expect(counts()['vmss_get']).toBe(getsBefore + 1);

    advance(29_000);
    const second = await assigner.applyIdentityDelta(target, { add: [id], remove: [] });
    expect(second.error?.code).toBe('throttled');
    expect(second.error?.message).toMatch(/^VMSSGet client throttled, retry after: /);
    await expect(assigner.getIdentityState(target)).rejects.toMatchObject({ code: 'throttled' });
    expect(counts()['vmss_get']).toBe(getsBefore + 1);

    advance(1_000);
    const third = await assigner.applyIdentityDelta(target, { add: [id], remove: [] });
    expect(third.status).toBe('succeeded');
    expect(counts()['vmss_get']).toBe(getsBefore + 2);
  });

  test('row 29: LinkedAuthorizationFailed → a second PATCH without that ID, 1 s later, reported as success (Q6)', async () => {
    const allowed = world.identity('row29-allowed');
    const denied = world.identity('row29-denied');
    world.emulator.admin.denyIdentityAssignment(denied);
    const target = await world.scaleSet('row29');
    const { assigner, sleeps } = world.assigner();
    const result = await assigner.applyIdentityDelta(target, { add: [allowed, denied], remove: [] });

    expect(result.status).toBe('partially_succeeded');
    expect(result.error).toBeUndefined();
    expect(result.dropped).toEqual([
      { id: denied, reason: 'LinkedAuthorizationFailed', message: expect.stringContaining('linked scope') },
    ]);
    expect(result.retries).toBe(1);
    expect(sleeps).toEqual([1000]);
    const patches = patchesFor(armTargetResourceId(target));
    expect(patches.map((p) => p.status)).toEqual([403, 200]);
    expect(entryKeys(patches[1]?.body)).toEqual([allowed.toLowerCase()]);
    expect(world.emulator.admin.identityState(armTargetResourceId(target)).userAssignedIdentities).toEqual([
      allowed.toLowerCase(),
    ]);
  });

  test('row 29 bound: each retry drops what the last error named, at most updateUserMsiMaxRetry (2) times', async () => {
    // The emulator checks assign permission first and existence second, so this delta fails twice in a row:
    // LinkedAuthorizationFailed for `denied`, then FailedIdentityOperation for `missing`.
    const denied = world.identity('row29b-denied');
    world.emulator.admin.denyIdentityAssignment(denied);
    const missing = denied.replace('row29b-denied', 'row29b-missing');
    const allowed = world.identity('row29b-allowed');
    const delta = { add: [denied, missing, allowed], remove: [] };

    const withDefault = await world.scaleSet('row29b');
    const { assigner, sleeps } = world.assigner();
    const ok = await assigner.applyIdentityDelta(withDefault, delta);
    expect(ok.status).toBe('partially_succeeded');
    expect(ok.retries).toBe(2);
    expect(ok.dropped.map((d) => [d.id, d.reason])).toEqual([
      [denied, 'LinkedAuthorizationFailed'],
      [missing, 'FailedIdentityOperation'],
    ]);
    expect(sleeps).toEqual([1000, 1000]);
    expect(patchesFor(armTargetResourceId(withDefault)).map((p) => p.status)).toEqual([403, 400, 200]);

    const withOneRetry = await world.scaleSet('row29c');
    const limited = world.assigner({ updateUserMsiMaxRetry: 1 }).assigner;
    const failed = await limited.applyIdentityDelta(withOneRetry, delta);
    expect(failed.status).toBe('failed');
    expect(failed.error?.armErrorCode).toBe('FailedIdentityOperation');
    expect(patchesFor(armTargetResourceId(withOneRetry)).map((p) => p.status)).toEqual([403, 400]);
    expect(failed.finalIdentityState?.userAssignedIdentityIds).toEqual([]);
  });

  test('an invalid ID in a batch of valid ones: the valid ones end assigned, the invalid one is in dropped', async () => {
    const valid = [1, 2, 3].map((i) => world.identity(`batch-valid-${i}`));
    const missing = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/does-not-exist`;
    const malformed = '/subscriptions/x/providers/Microsoft.ManagedIdentity/userAssignedIdentities/no-rg';
    const target = await world.scaleSet('batch');
    const { assigner } = world.assigner();
    const result = await assigner.applyIdentityDelta(target, {
      add: [valid[0]!, missing, valid[1]!, malformed, valid[2]!],
      remove: [],
    });
    expect(result.status).toBe('partially_succeeded');
    expect([...result.applied.added].sort()).toEqual([...valid].sort());
    expect(result.dropped.map((d) => [d.id, d.reason])).toEqual([
      [malformed, 'InvalidResourceId'],
      [missing, 'FailedIdentityOperation'],
    ]);
    expect([...world.emulator.admin.identityState(armTargetResourceId(target)).userAssignedIdentities].sort()).toEqual(
      valid.map((id) => id.toLowerCase()).sort(),
    );
  });
});

describe('faults and concurrency', () => {
  test('30% injected 500s: converges; bounded by 3 pipeline retries per request and 3 apply attempts', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => world.identity(`flaky-${i}`));
    const targets = await Promise.all([0, 1, 2].map((i) => world.scaleSet(`flaky-${i}`)));
    const admin = world.emulator.admin;
    for (const kind of ['vmss_get', 'vmss_update', 'operation_get']) {
      admin.injectFault('arm', kind, { status: 500, rate: 0.3 });
    }
    const { assigner } = world.assigner();
    try {
      const MAX_APPLY_ATTEMPTS = 3; // what MIC's next cycles would do
      let attempts = 0;
      let pending = targets.map((target) => ({ target, delta: { add: ids, remove: [] } }));
      while (pending.length > 0 && attempts < MAX_APPLY_ATTEMPTS) {
        attempts++;
        const results = await assigner.applyAll(pending);
        pending = pending.filter((_, i) => results[i]?.status !== 'succeeded' && results[i]?.status !== 'noop');
      }
      expect(pending).toEqual([]);
    } finally {
      admin.clearFaults('arm');
    }
    for (const target of targets) {
      const state = admin.identityState(armTargetResourceId(target));
      expect([...state.userAssignedIdentities].sort()).toEqual(ids.map((id) => id.toLowerCase()).sort());
      const statuses = patchesFor(armTargetResourceId(target)).map((p) => p.status);
      // Every PATCH attempt is either the injected 500 or accepted; never more than 4 per successful PATCH.
      expect(statuses.every((s) => s === 500 || s === 200 || s === 202)).toBe(true);
    }
    // The faults really fired (the test is not vacuous).
    const failedPatches = targets.flatMap((t) => patchesFor(armTargetResourceId(t))).filter((p) => p.status === 500);
    expect(failedPatches.length).toBeGreaterThan(0);
  });

  test('concurrent calls on one VMSS never overlap (the emulator would answer 409 Conflict)', async () => {
    const ids = Array.from({ length: 5 }, (_, i) => world.identity(`serial-${i}`));
    const target = await world.scaleSet('serial');
    const other = await world.scaleSet('serial-other');
    world.emulator.admin.setLatency({ scaleSetUpdateMs: 40 });
    const { assigner } = world.assigner();
    try {
      const results = await Promise.all([
        ...ids.map((id) => assigner.applyIdentityDelta(target, { add: [id], remove: [] })),
        assigner.applyIdentityDelta(other, { add: [ids[0]!], remove: [] }),
      ]);
      expect(results.map((r) => r.status)).toEqual(Array(6).fill('succeeded'));
    } finally {
      world.emulator.admin.setLatency({ scaleSetUpdateMs: 15 });
    }
    const patches = patchesFor(armTargetResourceId(target));
    expect(patches).toHaveLength(5);
    expect(patches.every((p) => p.status === 200 || p.status === 202)).toBe(true);
    expect(world.emulator.admin.identityState(armTargetResourceId(target)).userAssignedIdentities).toHaveLength(5);
  });
});

describe('long-running PATCH', () => {
  test('an update that does not finish within updateTimeoutMs fails with a typed error instead of hanging', async () => {
    const target = await world.scaleSet('slow');
    const id = world.identity('slow');
    world.emulator.admin.setLatency({ scaleSetUpdateMs: 1_000 });
    try {
      const { assigner } = world.assigner({ updateTimeoutMs: 100 });
      const result = await assigner.applyIdentityDelta(target, { add: [id], remove: [] });
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('arm_request_failed');
      expect(result.error?.message).toContain('no result after 100 ms');
    } finally {
      world.emulator.admin.setLatency({ scaleSetUpdateMs: 15 });
    }
  });

  test('removing the last identity of a VM without system identity needs no extra GET', async () => {
    const id = world.identity('last-one');
    const target = await world.virtualMachine('last-one-vm', { userAssigned: [id] });
    const { assigner } = world.assigner();
    const getsBefore = counts()['vm_get'] ?? 0;
    const result = await assigner.applyIdentityDelta(target, { add: [], remove: [id] });
    expect(result.status).toBe('succeeded');
    expect(result.finalIdentityState).toEqual({ type: 'None', userAssignedIdentityIds: [] });
    expect(counts()['vm_get']).toBe(getsBefore + 1);
    expect(world.emulator.admin.identityState(armTargetResourceId(target)).type).toBe('None');
  });
});

describe('lookups and bad input', () => {
  test('getUserAssignedIdentity returns client and principal IDs through arm-msi', async () => {
    const id = world.identity('lookup');
    const { assigner } = world.assigner();
    const info = await assigner.getUserAssignedIdentity(id);
    expect(info).toMatchObject({ name: 'lookup', tenantId: TENANT });
    expect(info.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(info.principalId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(assigner.getUserAssignedIdentity(id.replace('/lookup', '/nobody'))).rejects.toMatchObject({
      code: 'identity_not_found',
      statusCode: 404,
    });
    await expect(assigner.getUserAssignedIdentity('not-an-id')).rejects.toMatchObject({ code: 'invalid_resource_id' });
  });

  test('unknown subscription, resource group and VMSS give typed errors', async () => {
    const { assigner } = world.assigner();
    const id = world.identity('bad-input');
    const base = { kind: 'vmss' as const, subscriptionId: SUBSCRIPTION, resourceGroup: NODES_RG, name: 'nope' };
    const cases = [
      [{ ...base, subscriptionId: '99999999-9999-9999-9999-999999999999' }, 'subscription_not_found'],
      [{ ...base, resourceGroup: 'rg-missing' }, 'resource_group_not_found'],
      [base, 'target_not_found'],
      [{ ...base, name: '../escape' }, 'invalid_target'],
      // A subscription of another tenant rejects our token.
      [{ ...base, subscriptionId: OTHER_TENANT_SUBSCRIPTION }, 'authentication_failed'],
    ] as const;
    for (const [target, code] of cases) {
      const result = await assigner.applyIdentityDelta(target, { add: [id], remove: [] });
      expect([result.status, result.error?.code]).toEqual(['failed', code]);
    }
  });

  test('a wrong client secret is an authentication_failed error, never an unhandled rejection', async () => {
    const credential = createArmCredential({
      environment: world.environment,
      tenantId: TENANT,
      aadClientId: MIC_CLIENT_ID,
      aadClientSecret: 'Not-The-Secret-42',
      tlsCa: world.emulator.caCertPem,
    });
    const assigner = createArmIdentityAssigner({
      environment: world.environment,
      credential,
      planPatch: planArmPatch,
      tlsCa: world.emulator.caCertPem,
      transientRetry: { maxRetries: 0 },
    });
    const target = await world.scaleSet('bad-credential');
    const result = await assigner.applyIdentityDelta(target, { add: [world.identity('bad-credential')], remove: [] });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('authentication_failed');
    expect(result.error?.message).not.toContain('Not-The-Secret-42');
    expect(world.emulator.admin.patchLog().filter((p) => p.resourceId.endsWith('/bad-credential'))).toEqual([]);
    await expect(assigner.getIdentityState(target)).rejects.toMatchObject({ code: 'authentication_failed' });
  });

  test('a managed identity credential (IMDS via AZURE_POD_IDENTITY_AUTHORITY_HOST) works too', async () => {
    const host = await world.emulator.admin.createVirtualMachine({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: NODES_RG,
      name: 'mic-host',
      systemAssignedIdentity: true,
    });
    const imds = host.imds[0]!;
    const previous = process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
    process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = `http://${imds.host}:${imds.port}`;
    try {
      const credential = createArmCredential({ environment: world.environment, useManagedIdentityExtension: true });
      const assigner = createArmIdentityAssigner({
        environment: world.environment,
        credential,
        planPatch: planArmPatch,
        tlsCa: world.emulator.caCertPem,
        pollIntervalMs: 10,
      });
      const target = await world.scaleSet('managed-identity');
      const id = world.identity('via-managed-identity');
      expect((await assigner.applyIdentityDelta(target, { add: [id], remove: [] })).status).toBe('succeeded');
    } finally {
      if (previous === undefined) delete process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
      else process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = previous;
    }
  });

  test('missing service principal fields are an invalid_credential_config error', () => {
    expect(() => createArmCredential({ environment: world.environment, tenantId: TENANT, aadClientId: 'x' })).toThrow(
      expect.objectContaining({ code: 'invalid_credential_config' }),
    );
  });
});
