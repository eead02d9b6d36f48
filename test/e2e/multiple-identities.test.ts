/**
 * Upstream's multiple-identity e2e scenarios (spec §7): several identities on one pod removed in random order, 40
 * pods at once, the same identity name in two namespaces, an invalid identity in a batch with valid ones, and
 * AzurePodIdentityException.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  assignedState,
  claimsOf,
  identityRefOf,
  RESOURCE,
  type Sandbox,
  startE2eSandbox,
  uniqueName,
} from './support/e2e-sandbox.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startE2eSandbox({ world: { identities: 3 } });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
});

function identity(index: number) {
  const found = sandbox.azure.world.identities[index];
  if (!found) throw new Error(`sandbox has no identity #${index}`);
  return found;
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('multiple identities', () => {
  test('a pod with three identities keeps getting tokens for the rest as bindings are removed in random order', async () => {
    const selector = uniqueName('multi');
    const names = [0, 1, 2].map((index) => `${selector}-${index}`);
    for (const [index, name] of names.entries()) {
      await sandbox.createIdentity({ kind: 'user-assigned', name, identity: identity(index) });
      await sandbox.createBinding({ name, identityName: name, selector });
    }
    const pod = await sandbox.createPod({ name: selector, labels: { aadpodidbinding: selector } });
    await sandbox.waitForAssigned(pod, { count: 3 });
    for (const index of [0, 1, 2]) {
      const claims = claimsOf(await sandbox.fetchToken(pod, RESOURCE, { clientId: identity(index).clientId }));
      expect(claims['appid']).toBe(identity(index).clientId);
    }

    const remaining = new Set([0, 1, 2]);
    for (const index of shuffled([0, 1, 2])) {
      await sandbox.kube.rest.delete('azureidentitybindings', 'default', names[index]!);
      remaining.delete(index);
      await sandbox.eventually(
        async () => (await sandbox.assignedIdentities(pod)).length === remaining.size,
        `${remaining.size} assigned identities left`,
      );
      const removed = await sandbox.fetchToken(pod, RESOURCE, { clientId: identity(index).clientId });
      expect(removed.status).toBe(404);
      for (const kept of remaining) {
        const claims = claimsOf(await sandbox.fetchToken(pod, RESOURCE, { clientId: identity(kept).clientId }));
        expect(claims['appid']).toBe(identity(kept).clientId);
      }
    }
  }, 60_000);

  test('40 pods created at once are all assigned, and their identity leaves the nodes when they go', async () => {
    const selector = uniqueName('forty');
    await sandbox.createIdentity({ kind: 'user-assigned', name: selector, identity: identity(2) });
    await sandbox.createBinding({ name: selector, identityName: selector, selector });
    sandbox.azure.emulator.admin.resetCounters();
    const pods = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sandbox.createPod({ name: `${selector}-${i}`, labels: { aadpodidbinding: selector } }),
      ),
    );
    await Promise.all(pods.map((pod) => sandbox.waitForAssigned(pod, { timeoutMs: 60_000 })));
    for (const pod of pods.slice(0, 3)) {
      expect(claimsOf(await sandbox.fetchToken(pod, RESOURCE))['appid']).toBe(identity(2).clientId);
    }
    // Coalesced cycles: far fewer PATCHes than pods, and never one overlapping a running update (ARM answers 409).
    const patches = sandbox.azure.emulator.admin.patchLog();
    expect(patches.length).toBeLessThan(40);
    expect(patches.filter((entry) => entry.status >= 300)).toEqual([]);

    await Promise.all(pods.map((pod) => sandbox.deletePod(pod)));
    await Promise.all(pods.map((pod) => sandbox.waitForNoAssigned(pod, { timeoutMs: 60_000 })));
    const id = identity(2).resourceId.toLowerCase();
    await sandbox.eventually(
      () => sandbox.azure.world.nodes.every((node) => !sandbox.nodeIdentities(node.name).includes(id)),
      'identity-3 to leave every node',
    );
  }, 120_000);
});

describe('the same identity name in two namespaces', () => {
  test('each namespace gets its own assignment, and namespaced identities are not shared across namespaces', async () => {
    const name = uniqueName('samename');
    const namespaced = { 'aadpodidentity.k8s.io/Behavior': 'namespaced' };
    const pods = [];
    for (const [index, namespace] of [`${name}-a`, `${name}-b`].entries()) {
      await sandbox.createNamespace(namespace);
      await sandbox.createIdentity({
        kind: 'user-assigned',
        name,
        namespace,
        identity: identity(index),
        annotations: namespaced,
      });
      await sandbox.createBinding({ name, namespace, identityName: name, selector: name });
      pods.push(await sandbox.createPod({ name, namespace, labels: { aadpodidbinding: name } }));
    }
    for (const [index, pod] of pods.entries()) {
      const [assigned] = await sandbox.waitForAssigned(pod);
      expect(identityRefOf(assigned)).toMatchObject({ name, namespace: pod.namespace });
      expect(claimsOf(await sandbox.fetchToken(pod, RESOURCE))['appid']).toBe(identity(index).clientId);
      // The other namespace's identity is not this pod's.
      const other = await sandbox.fetchToken(pod, RESOURCE, { clientId: identity(1 - index).clientId });
      expect(other.status).toBe(404);
    }
    const names = (await Promise.all(pods.map((pod) => sandbox.assignedIdentities(pod)))).flat();
    expect(new Set(names.map((object) => object.metadata?.name)).size).toBe(2);
  }, 60_000);
});

describe('an invalid identity in a batch', () => {
  test('an identity ARM refuses stays Created while valid ones in the same cycle are Assigned', async () => {
    const base = uniqueName('batch');
    // A new identity MIC may not assign (LinkedAuthorizationFailed), next to two valid ones.
    const record = sandbox.azure.emulator.admin.createUserAssignedIdentity({
      subscriptionId: sandbox.azure.world.subscriptionId,
      resourceGroup: sandbox.azure.world.resourceGroup,
      name: `${base}-denied`,
    });
    sandbox.azure.emulator.admin.denyIdentityAssignment(record.id);
    const specs = [
      { suffix: 'ok-1', spec: { type: 0, resourceID: identity(0).resourceId, clientID: identity(0).clientId } },
      { suffix: 'ok-2', spec: { type: 0, resourceID: identity(1).resourceId, clientID: identity(1).clientId } },
      { suffix: 'bad', spec: { type: 0, resourceID: record.id, clientID: record.clientId } },
    ];
    for (const { suffix, spec } of specs) {
      const name = `${base}-${suffix}`;
      await sandbox.createIdentity({ kind: 'raw', name, spec });
      await sandbox.createBinding({ name, identityName: name, selector: name });
    }
    // All three pods on one node, so the invalid identity shares the ARM update with the valid ones.
    const nodeName = sandbox.azure.world.nodes[0]!.name;
    const pods = await Promise.all(
      specs.map(({ suffix }) =>
        sandbox.createPod({ name: `${base}-${suffix}`, nodeName, labels: { aadpodidbinding: `${base}-${suffix}` } }),
      ),
    );
    await sandbox.waitForAssigned(pods[0]!);
    await sandbox.waitForAssigned(pods[1]!);
    expect(claimsOf(await sandbox.fetchToken(pods[0]!, RESOURCE))['appid']).toBe(identity(0).clientId);
    const [bad] = await sandbox.assignedIdentities(pods[2]!);
    expect(assignedState(bad)).toBe('Created');
    expect(sandbox.nodeIdentities(nodeName)).not.toContain(record.id.toLowerCase());
    expect((await sandbox.fetchToken(pods[2]!, RESOURCE)).status).toBe(404);
  }, 60_000);
});

describe('AzurePodIdentityException', () => {
  test('an excepted pod gets the node identity straight from IMDS; the exception does not reach other namespaces', async () => {
    const name = uniqueName('exception');
    const value = `${name}-app`;
    await sandbox.createException({ name, podLabels: { app: value } });
    const node = sandbox.azure.world.nodes[0]!;
    // Label values compare case-insensitively (§1.5).
    const excepted = await sandbox.createPod({ name, nodeName: node.name, labels: { app: value.toUpperCase() } });
    const claims = claimsOf(await sandbox.fetchToken(excepted, RESOURCE));
    const systemAssigned = sandbox.azure.emulator.admin.identityState(node.computeId).systemAssigned;
    expect(claims['appid']).toBe(systemAssigned?.clientId);

    const otherNamespace = `${name}-other`;
    await sandbox.createNamespace(otherNamespace);
    const notExcepted = await sandbox.createPod({
      name,
      namespace: otherNamespace,
      nodeName: node.name,
      labels: { app: value },
    });
    expect((await sandbox.fetchToken(notExcepted, RESOURCE)).status).toBe(404);
  }, 30_000);
});
