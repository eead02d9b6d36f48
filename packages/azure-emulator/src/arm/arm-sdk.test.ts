import { ComputeManagementClient } from '@azure/arm-compute';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createClientSecretCredential } from '../client-secret-credential.js';
import { type EmulatedWorld, startEmulatedWorld } from '../test-support/emulated-world.js';

// The real @azure/arm-compute 24 and @azure/arm-msi 2 clients, over HTTPS, against the emulator.
describe('ARM through the real SDKs', () => {
  let world: EmulatedWorld;
  let vmId: string;
  let vmssId: string;
  const poll = { updateIntervalInMs: 10 };

  beforeAll(async () => {
    world = await startEmulatedWorld();
    const { admin } = world.emulator;
    vmId = (
      await admin.createVirtualMachine({
        subscriptionId: world.subscriptionId,
        resourceGroup: world.resourceGroup,
        name: 'vm-1',
        imds: false,
      })
    ).id;
    vmssId = (
      await admin.createVirtualMachineScaleSet({
        subscriptionId: world.subscriptionId,
        resourceGroup: world.resourceGroup,
        name: 'vmss-1',
        instances: [{ nodeName: 'vmss-1-000000', imds: false }],
      })
    ).id;
  });

  afterAll(async () => {
    await world.emulator.close();
  });

  test('virtualMachines.get returns the VM without an identity block', async () => {
    const vm = await world.compute.virtualMachines.get(world.resourceGroup, 'vm-1');
    expect(vm.id).toBe(vmId);
    expect(vm.identity).toBeUndefined();
    // arm-compute 24 flattens `properties` into the model.
    expect(vm.provisioningState).toBe('Succeeded');
  });

  test('beginUpdateAndWait assigns a user identity through the async operation', async () => {
    const [id0] = world.identityIds;
    const vm = await world.compute.virtualMachines.beginUpdateAndWait(
      world.resourceGroup,
      'vm-1',
      { identity: { type: 'UserAssigned', userAssignedIdentities: { [id0!]: {} } } },
      poll,
    );
    expect(vm.identity?.type).toBe('UserAssigned');
    expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})).toEqual([id0]);
    expect(world.emulator.admin.identityState(vmId).userAssignedIdentities).toEqual([id0]);
    const counts = world.emulator.admin.requestCounts();
    expect(counts['vm_update']).toBe(1);
    expect(counts['operation_get']).toBeGreaterThanOrEqual(1);
  });

  test('removing with null (different case) and adding system-assigned', async () => {
    const [id0, id1] = world.identityIds;
    const vm = await world.compute.virtualMachines.beginUpdateAndWait(
      world.resourceGroup,
      'vm-1',
      {
        identity: {
          type: 'SystemAssigned, UserAssigned',
          userAssignedIdentities: { [id0!.toLowerCase()]: null as never, [id1!]: {} },
        },
      },
      poll,
    );
    expect(vm.identity?.type).toBe('SystemAssigned, UserAssigned');
    expect(vm.identity?.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(vm.identity?.tenantId).toBe(world.tenantId);
    expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})).toEqual([id1]);
  });

  test('the VMSS update polls to Succeeded and get reflects it', async () => {
    const [id0, id2] = world.identityIds;
    await world.compute.virtualMachineScaleSets.beginUpdateAndWait(
      world.resourceGroup,
      'vmss-1',
      { identity: { type: 'UserAssigned', userAssignedIdentities: { [id0!]: {}, [id2!]: {} } } },
      poll,
    );
    const vmss = await world.compute.virtualMachineScaleSets.get(world.resourceGroup, 'vmss-1');
    expect(vmss.id).toBe(vmssId);
    expect(Object.keys(vmss.identity?.userAssignedIdentities ?? {}).sort()).toEqual([id0, id2].sort());
    expect(vmss.provisioningState).toBe('Succeeded');
    expect(world.emulator.admin.requestCounts()['vmss_update']).toBe(1);
  });

  test('arm-msi userAssignedIdentities.get returns clientId, principalId and tenantId', async () => {
    const identity = await world.msi.userAssignedIdentities.get('rg-identities', 'id-0');
    expect(identity.id).toBe(world.identityIds[0]);
    expect(identity.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(identity.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(identity.tenantId).toBe(world.tenantId);
  });

  test('arm-msi userAssignedIdentities.createOrUpdate creates an identity ARM then serves', async () => {
    const created = await world.msi.userAssignedIdentities.createOrUpdate('rg-identities', 'made-by-put', {
      location: 'westeurope',
    });
    expect(created.clientId).toMatch(/^[0-9a-f-]{36}$/);
    const fetched = await world.msi.userAssignedIdentities.get('rg-identities', 'made-by-put');
    expect(fetched.clientId).toBe(created.clientId);
  });
});

describe('createClientSecretCredential', () => {
  test('is a TokenCredential the ARM SDK accepts, and reports AAD errors with their code', async () => {
    const world = await startEmulatedWorld({}, 0);
    try {
      await world.emulator.admin.createVirtualMachine({
        subscriptionId: world.subscriptionId,
        resourceGroup: world.resourceGroup,
        name: 'vm-cred',
        imds: false,
      });
      const options = {
        aadUrl: world.emulator.aadUrl,
        caCertPem: world.emulator.caCertPem,
        tenantId: world.tenantId,
        clientId: world.sp.clientId,
      };
      const credential = createClientSecretCredential({ ...options, clientSecret: world.sp.secret });
      const compute = new ComputeManagementClient(credential, world.subscriptionId, {
        endpoint: world.emulator.armUrl,
        tlsOptions: { ca: world.emulator.caCertPem },
      });
      expect((await compute.virtualMachines.get(world.resourceGroup, 'vm-cred')).name).toBe('vm-cred');
      const before = world.emulator.admin.requestCounts()['aad_token'];
      await compute.virtualMachines.get(world.resourceGroup, 'vm-cred');
      expect(world.emulator.admin.requestCounts()['aad_token']).toBe(before);

      const wrong = createClientSecretCredential({ ...options, clientSecret: 'nope' });
      await expect(wrong.getToken('https://management.azure.com/.default')).rejects.toMatchObject({
        code: 'invalid_client',
        status: 401,
      });
    } finally {
      await world.emulator.close();
    }
  });
});
