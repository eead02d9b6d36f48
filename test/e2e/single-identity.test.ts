/**
 * Upstream's single-identity, service-principal and instance-metadata e2e scenarios (spec §7), over real processes:
 * MIC and one NMI per node against the kube- and azure-emulators, tokens fetched from the pod's own address.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  assignedState,
  bindingNameOf,
  claimsOf,
  identityRefOf,
  RESOURCE,
  type Sandbox,
  startE2eSandbox,
  uniqueName,
} from './support/e2e-sandbox.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startE2eSandbox();
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
});

function identity(index: number) {
  const found = sandbox.azure.world.identities[index];
  if (!found) throw new Error(`sandbox has no identity #${index}`);
  return found;
}

/** An AzureIdentity for user-assigned identity #index, a binding with a fresh selector, and a labelled pod. */
async function boundPod(index = 0, namespace = 'default') {
  const name = uniqueName('single');
  await sandbox.createIdentity({ kind: 'user-assigned', name, namespace, identity: identity(index) });
  await sandbox.createBinding({ name, namespace, identityName: name, selector: name });
  const pod = await sandbox.createPod({ name, namespace, labels: { aadpodidbinding: name } });
  return { name, pod };
}

describe('single identity', () => {
  test('a labelled pod gets its identity assigned to its VM/VMSS and fetches a token as that identity', async () => {
    const { name, pod } = await boundPod(0);
    const [assigned] = await sandbox.waitForAssigned(pod);
    expect(assigned?.metadata?.labels).toEqual({ nodename: pod.nodeName });
    expect(identityRefOf(assigned).name).toBe(name);
    expect(sandbox.nodeIdentities(pod.nodeName)).toContain(identity(0).resourceId.toLowerCase());

    const response = await sandbox.fetchToken(pod, RESOURCE);
    const claims = claimsOf(response);
    expect(claims['appid']).toBe(identity(0).clientId);
    expect(claims['aud']).toBe(RESOURCE);
    // The seven string fields of upstream's msi object (§3.5); IMDS's newer client_id may come along.
    expect(Object.keys(response.json as object)).toEqual(
      expect.arrayContaining([
        'access_token',
        'expires_in',
        'expires_on',
        'not_before',
        'refresh_token',
        'resource',
        'token_type',
      ]),
    );
    for (const value of Object.values(response.json as object)) expect(typeof value).toBe('string');
  });

  test('deleting the pod deletes its AzureAssignedIdentity and removes the identity from the node', async () => {
    const { pod } = await boundPod(1);
    await sandbox.waitForAssigned(pod);
    expect(sandbox.nodeIdentities(pod.nodeName)).toContain(identity(1).resourceId.toLowerCase());
    await sandbox.deletePod(pod);
    await sandbox.waitForNoAssigned(pod);
    await sandbox.eventually(
      () => !sandbox.nodeIdentities(pod.nodeName).includes(identity(1).resourceId.toLowerCase()),
      'identity-2 to leave the node once no pod uses it',
    );
  });

  test('deleting the binding, then the identity, stops tokens', async () => {
    const { name, pod } = await boundPod(0);
    await sandbox.waitForAssigned(pod);
    claimsOf(await sandbox.fetchToken(pod, RESOURCE));

    await sandbox.kube.rest.delete('azureidentitybindings', 'default', name);
    await sandbox.waitForNoAssigned(pod);
    const afterBinding = await sandbox.fetchToken(pod, RESOURCE);
    expect(afterBinding.status).toBe(404);

    await sandbox.kube.rest.delete('azureidentities', 'default', name);
    const afterIdentity = await sandbox.fetchToken(pod, RESOURCE);
    expect(afterIdentity.status).toBe(404);
  });

  test('editing the AzureIdentity in place re-targets the same AzureAssignedIdentity to the new identity', async () => {
    const { name, pod } = await boundPod(0);
    const [before] = await sandbox.waitForAssigned(pod);
    expect(claimsOf(await sandbox.fetchToken(pod, RESOURCE))['appid']).toBe(identity(0).clientId);

    const current = await sandbox.kube.rest.get('azureidentities', 'default', name);
    await sandbox.kube.rest.replace('azureidentities', 'default', name, {
      ...current,
      spec: { type: 0, resourceID: identity(1).resourceId, clientID: identity(1).clientId },
    });
    await sandbox.eventually(async () => {
      const [object] = await sandbox.assignedIdentities(pod);
      return identityRefOf(object).clientID === identity(1).clientId && assignedState(object) === 'Assigned';
    }, 'the assigned identity to point at identity-2 and be Assigned');
    const [after] = await sandbox.assignedIdentities(pod);
    expect(after?.metadata?.name).toBe(before?.metadata?.name);
    expect(claimsOf(await sandbox.fetchToken(pod, RESOURCE))['appid']).toBe(identity(1).clientId);
  });

  test('a client_id that is not among the pod identities is rejected', async () => {
    const { pod } = await boundPod(0);
    await sandbox.waitForAssigned(pod);
    const wrong = await sandbox.fetchToken(pod, RESOURCE, { clientId: identity(1).clientId });
    // Upstream's retry loop only counts entries matching the client_id, so it ends with the "not created" text (§3.7).
    expect(wrong.status).toBe(404);
    expect(wrong.body).toContain(`pod default/${pod.name}`);
    expect(wrong.body).not.toContain(identity(1).clientId);
    const right = await sandbox.fetchToken(pod, RESOURCE, { clientId: identity(0).clientId.toUpperCase() });
    expect(claimsOf(right)['appid']).toBe(identity(0).clientId);
  });

  test('changing the pod label moves it to the other binding', async () => {
    const first = await boundPod(0);
    await sandbox.waitForAssigned(first.pod);
    const second = uniqueName('relabel');
    await sandbox.createIdentity({ kind: 'user-assigned', name: second, identity: identity(1) });
    await sandbox.createBinding({ name: second, identityName: second, selector: second });

    await sandbox.kube.rest.mergePatch('pods', 'default', first.pod.name, {
      metadata: { labels: { aadpodidbinding: second } },
    });
    await sandbox.eventually(async () => {
      const objects = await sandbox.assignedIdentities(first.pod);
      return objects.length === 1 && bindingNameOf(objects[0]) === second && assignedState(objects[0]) === 'Assigned';
    }, 'the pod to be bound through the second binding only');
    expect(claimsOf(await sandbox.fetchToken(first.pod, RESOURCE))['appid']).toBe(identity(1).clientId);
  });
});

describe('service principal identity', () => {
  test('a type-1 AzureIdentity gets a token from AAD with the secret in a Kubernetes Secret', async () => {
    const name = uniqueName('sp');
    await sandbox.createServicePrincipalSecret(name);
    const { tenantId, workloadPrincipal } = sandbox.azure.world;
    await sandbox.createIdentity({
      kind: 'service-principal',
      name,
      tenantId,
      clientId: workloadPrincipal.clientId,
      secretName: name,
    });
    await sandbox.createBinding({ name, identityName: name, selector: name });
    const pod = await sandbox.createPod({ name, labels: { aadpodidbinding: name } });
    await sandbox.waitForAssigned(pod);
    const claims = claimsOf(await sandbox.fetchToken(pod, RESOURCE));
    expect(claims['appid']).toBe(workloadPrincipal.clientId);
    expect(claims['tid']).toBe(tenantId);
  });
});

describe('instance metadata requests', () => {
  test('a missing Metadata header is answered 400 with the IMDS error body', async () => {
    const pod = await sandbox.createPod({ name: uniqueName('noheader') });
    const response = await sandbox.requestFromPod(pod, `/metadata/identity/oauth2/token?resource=${RESOURCE}`, {});
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      error: 'invalid_request',
      error_description: 'Required metadata header not specified',
    });
  });

  test('/doesnotexist is passed through to IMDS, which answers 404', async () => {
    const pod = await sandbox.createPod({ name: uniqueName('proxy') });
    const response = await sandbox.requestFromPod(pod, '/doesnotexist');
    expect(response.status).toBe(404);
  });

  test('/metadata/instance is proxied to IMDS when not blocked', async () => {
    const pod = await sandbox.createPod({ name: uniqueName('instance') });
    const response = await sandbox.requestFromPod(pod, '/metadata/instance?api-version=2021-02-01');
    expect(response.status).toBe(200);
  });
});
