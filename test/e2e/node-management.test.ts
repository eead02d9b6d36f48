/**
 * Upstream's node-management e2e scenarios (spec §7), where an operator touches VMSS identities with `az`: identities
 * still used by another pod, the system-assigned and unrelated identities, `--immutable-user-msis`, the cluster
 * identity, and the periodic reconciler re-adding an identity removed by hand.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { claimsOf, RESOURCE, type Sandbox, startE2eSandbox, uniqueName } from './support/e2e-sandbox.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startE2eSandbox({
    world: { identities: 3, scaleSets: 1, nodesPerScaleSet: 2, virtualMachines: 0 },
    // identity-3 is immutable; the reconciler runs every 2 s instead of 3 min.
    micArgs: (world) => [
      `--immutable-user-msis=${world.identities[2]?.clientId}`,
      '--identity-assignment-reconcile-interval=2s',
    ],
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
});

function identity(index: number) {
  const found = sandbox.azure.world.identities[index];
  if (!found) throw new Error(`sandbox has no identity #${index}`);
  return found;
}

const [firstNode, secondNode] = ['vmss-1-node-0', 'vmss-1-node-1'];

async function bind(index: number) {
  const name = uniqueName('nodes');
  await sandbox.createIdentity({ kind: 'user-assigned', name, identity: identity(index) });
  await sandbox.createBinding({ name, identityName: name, selector: name });
  return name;
}

/** One labelled pod per given node. */
async function pods(selector: string, nodes: string[]) {
  return Promise.all(
    nodes.map((nodeName, i) =>
      sandbox.createPod({ name: `${selector}-${i}`, nodeName, labels: { aadpodidbinding: selector } }),
    ),
  );
}

describe('node management', () => {
  test('an identity still used by a pod on another node of the VMSS stays when one pod goes', async () => {
    const selector = await bind(0);
    const [a, b] = await pods(selector, [firstNode!, secondNode!]);
    await sandbox.waitForAssigned(a!);
    await sandbox.waitForAssigned(b!);
    await sandbox.deletePod(a!);
    await sandbox.waitForNoAssigned(a!);
    expect(sandbox.nodeIdentities(secondNode!)).toContain(identity(0).resourceId.toLowerCase());
    expect(claimsOf(await sandbox.fetchToken(b!, RESOURCE))['appid']).toBe(identity(0).clientId);
    await sandbox.deletePod(b!);
    await sandbox.waitForNoAssigned(b!);
    await sandbox.eventually(
      () => !sandbox.nodeIdentities(secondNode!).includes(identity(0).resourceId.toLowerCase()),
      'identity-1 to leave the VMSS once its last pod is gone',
    );
  });

  test('the system-assigned, cluster and unrelated identities survive assignment cycles', async () => {
    const { world } = sandbox.azure;
    const selector = await bind(1);
    const [pod] = await pods(selector, [firstNode!]);
    await sandbox.waitForAssigned(pod!);
    await sandbox.deletePod(pod!);
    await sandbox.waitForNoAssigned(pod!);
    await sandbox.eventually(
      () => !sandbox.nodeIdentities(firstNode!).includes(identity(1).resourceId.toLowerCase()),
      'identity-2 to leave the VMSS',
    );
    const state = sandbox.azure.emulator.admin.identityState(world.scaleSetIds[0]!);
    expect(state.type).toBe('SystemAssigned, UserAssigned');
    expect(state.systemAssigned).toBeDefined();
    const ids = state.userAssignedIdentities.map((id) => id.toLowerCase());
    expect(ids).toContain(world.clusterIdentity!.resourceId.toLowerCase());
    expect(ids).toContain(world.unrelatedIdentity!.resourceId.toLowerCase());
  });

  test('the cluster identity is kept even when a pod binds it and goes away', async () => {
    const { world } = sandbox.azure;
    const name = uniqueName('cluster');
    await sandbox.createIdentity({ kind: 'user-assigned', name, identity: world.clusterIdentity! });
    await sandbox.createBinding({ name, identityName: name, selector: name });
    const [pod] = await pods(name, [firstNode!]);
    await sandbox.waitForAssigned(pod!);
    expect(claimsOf(await sandbox.fetchToken(pod!, RESOURCE))['appid']).toBe(world.clusterIdentity!.clientId);
    await sandbox.deletePod(pod!);
    await sandbox.waitForNoAssigned(pod!);
    expect(sandbox.nodeIdentities(firstNode!)).toContain(world.clusterIdentity!.resourceId.toLowerCase());
  });

  test('an identity listed in --immutable-user-msis is never removed', async () => {
    const selector = await bind(2);
    const [pod] = await pods(selector, [firstNode!]);
    await sandbox.waitForAssigned(pod!);
    await sandbox.deletePod(pod!);
    await sandbox.waitForNoAssigned(pod!);
    // The assigned identity is gone, so MIC has finished with it; the VMSS still carries the identity.
    expect(sandbox.nodeIdentities(firstNode!)).toContain(identity(2).resourceId.toLowerCase());
    const removals = sandbox.azure.emulator.admin.patchLog().filter((entry) =>
      JSON.stringify(entry.body)
        .toLowerCase()
        .includes(`"${identity(2).resourceId.toLowerCase()}":null`),
    );
    expect(removals).toEqual([]);
  });

  test('the reconciler re-adds an identity removed from the VMSS by hand, and removes nothing', async () => {
    const selector = await bind(0);
    const [pod] = await pods(selector, [secondNode!]);
    await sandbox.waitForAssigned(pod!);
    const id = identity(0).resourceId;
    await sandbox.removeIdentityExternally(secondNode!, id);
    expect(sandbox.nodeIdentities(secondNode!)).not.toContain(id.toLowerCase());
    await sandbox.eventually(
      () => sandbox.nodeIdentities(secondNode!).includes(id.toLowerCase()),
      'the reconciler to put identity-1 back on the VMSS',
      { timeoutMs: 20_000 },
    );
    const { world } = sandbox.azure;
    expect(sandbox.nodeIdentities(secondNode!)).toContain(world.unrelatedIdentity!.resourceId.toLowerCase());
    expect(claimsOf(await sandbox.fetchToken(pod!, RESOURCE))['appid']).toBe(identity(0).clientId);
  });
});
