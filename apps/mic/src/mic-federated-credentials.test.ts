/**
 * `--manage-federated-credentials` (issue 17): the built MIC against kube-emulator and azure-emulator. A credential
 * appears on the user-assigned identity when the first pod of a (namespace, service account) starts and disappears
 * after the last one goes; credentials MIC did not make (created here with @azure/arm-msi directly) are never
 * touched; an identity at Azure's limit of 20 gets one Warning Event and is not retried every cycle.
 */
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createArmCredential, resolveCloudEnvironment } from '@podid/arm-assigner';
import { federatedCredentialName } from '@podid/reconciler';
import path from 'node:path';
import { eventually, IDENTITY_RG, MicWorld, requireBuiltMic, SUBSCRIPTION, TENANT } from './test-support/mic-world.js';

beforeAll(() => requireBuiltMic());

const ISSUER = 'https://oidc.example/cluster-1';
const API = '/apis/aadpodidentity.k8s.io/v1/namespaces/default';

interface KubeEvent {
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
}

/** @azure/arm-msi as a person would use it against the emulator (the MIC test service principal). */
function msiClient(world: MicWorld): ManagedServiceIdentityClient {
  const environment = resolveCloudEnvironment({
    cloud: 'AzureStackCloud',
    env: { AZURE_ENVIRONMENT_FILEPATH: path.join(world.dir, 'environment.json') },
  });
  const credential = createArmCredential({
    environment,
    tenantId: TENANT,
    aadClientId: '99999999-8888-7777-6666-555555555555',
    aadClientSecret: 'mic-test-secret',
    tlsCa: world.azure.caCertPem,
  });
  const endpoint = world.azure.armUrl.replace(/\/+$/, '');
  return new ManagedServiceIdentityClient(credential, SUBSCRIPTION, {
    endpoint,
    $host: endpoint,
    credentialScopes: [`${endpoint}/.default`],
    tlsOptions: { ca: world.azure.caCertPem },
  });
}

async function federatedIdentity(world: MicWorld, name: string, selector: string) {
  const app = world.identity(name);
  await world.request('POST', `${API}/azureidentities`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentity',
    metadata: { name, namespace: 'default' },
    spec: { type: 3, clientID: app.clientId, tenantID: TENANT, resourceID: app.resourceId },
  });
  await world.request('POST', `${API}/azureidentitybindings`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentityBinding',
    metadata: { name: `${name}-binding`, namespace: 'default' },
    spec: { azureIdentity: name, selector },
  });
  return app;
}

function createPod(world: MicWorld, name: string, node: string, selector: string, serviceAccountName?: string) {
  return world.request('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { aadpodidbinding: selector } },
    spec: {
      nodeName: node,
      ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
      containers: [{ name: 'app', image: 'app' }],
    },
    status: { phase: 'Running', podIP: '10.1.0.1' },
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MIC process: --manage-federated-credentials', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('without --oidc-issuer-url MIC exits 2 naming the flag', async () => {
    const mic = world.startMic(['--manage-federated-credentials']);
    expect(await mic.exited).toBe(2);
    expect(mic.lines.join('\n')).toContain('--oidc-issuer-url');
  });

  test('a credential per (namespace, service account) comes with the first pod and goes with the last; a hand-made one stays', async () => {
    const [node] = await world.scaleSet('pool-fic', 1);
    const app = await federatedIdentity(world, 'fic-app', 'fic-app');
    const msi = msiClient(world);
    const handMade = { issuer: ISSUER, subject: 'system:serviceaccount:other:by-hand', audiences: ['api://x'] };
    await msi.federatedIdentityCredentials.createOrUpdate(IDENTITY_RG, 'fic-app', 'by-hand', handMade);
    const names = () => world.azure.admin.federatedCredentials(app.resourceId).map((c) => c.name);
    const mic = world.startMic(['--clientQps=100', '--manage-federated-credentials', `--oidc-issuer-url=${ISSUER}`]);
    await mic.waitForLine(/sync loop started/);

    const worker = federatedCredentialName(ISSUER, 'system:serviceaccount:default:worker');
    const byDefault = federatedCredentialName(ISSUER, 'system:serviceaccount:default:default');
    await createPod(world, 'worker-0', node as string, 'fic-app', 'worker');
    await eventually('the worker credential', async () => (names().includes(worker) ? true : undefined));
    const record = world.azure.admin.federatedCredentials(app.resourceId).find((c) => c.name === worker);
    expect(record).toMatchObject({
      issuer: ISSUER,
      subject: 'system:serviceaccount:default:worker',
      audiences: ['api://AzureADTokenExchange'],
    });
    await createPod(world, 'worker-1', node as string, 'fic-app', 'worker');
    await createPod(world, 'plain-0', node as string, 'fic-app'); // no serviceAccountName: `default`
    await eventually('the default credential', async () => (names().includes(byDefault) ? true : undefined));

    await world.deletePod('worker-0');
    await eventually('worker-0 released', async () =>
      (await world.assignedIdentities()).some((a) => a.spec.pod === 'worker-0') ? undefined : true,
    );
    await sleep(500);
    expect(names()).toContain(worker); // worker-1 still runs as `worker`

    await world.deletePod('worker-1');
    await world.deletePod('plain-0');
    await eventually('podid’s credentials deleted', async () =>
      names().includes(worker) || names().includes(byDefault) ? undefined : true,
    );
    expect(names()).toEqual(['by-hand']);
    const after = await msi.federatedIdentityCredentials.get(IDENTITY_RG, 'fic-app', 'by-hand');
    expect({ issuer: after.issuer, subject: after.subject, audiences: after.audiences }).toEqual(handMade);
    expect(await mic.stop()).toBe(0);
  }, 120_000);

  test('the 21st credential: one Warning Event on the AzureIdentity, one log line, no PUT retried every cycle', async () => {
    const [node] = await world.scaleSet('pool-full', 1);
    const app = await federatedIdentity(world, 'fic-full', 'fic-full');
    const msi = msiClient(world);
    for (let i = 0; i < 19; i++) {
      await msi.federatedIdentityCredentials.createOrUpdate(IDENTITY_RG, 'fic-full', `hand-${i}`, {
        issuer: ISSUER,
        subject: `system:serviceaccount:hand:sa-${i}`,
        audiences: ['api://AzureADTokenExchange'],
      });
    }
    await createPod(world, 'one-0', node as string, 'fic-full', 'one');
    await createPod(world, 'two-0', node as string, 'fic-full', 'two');
    world.azure.admin.resetCounters();
    // A full cycle every 200 ms: a loop would show as one PUT per cycle.
    const mic = world.startMic([
      '--clientQps=100',
      '--syncRetryDuration=200ms',
      '--manage-federated-credentials',
      `--oidc-issuer-url=${ISSUER}`,
    ]);
    const listening = JSON.parse(await mic.waitForLine(/probe and metrics listening/)) as { metrics: string };
    const cycleCount = async () => {
      const text = await (await fetch(listening.metrics)).text();
      return Number(/^aadpodidentity_mic_cycle_count (\d+)/m.exec(text)?.[1] ?? Number.NaN);
    };
    await mic.waitForLine(/sync loop started/);
    const overflowEvents = async () => {
      const list = (await world.request('GET', '/api/v1/events')) as { items: KubeEvent[] };
      return list.items.filter(
        (e) => e.reason === 'FederatedCredentialLimitReached' && e.involvedObject?.kind === 'AzureIdentity',
      );
    };
    const [event] = await eventually('the limit event', async () => {
      const found = await overflowEvents();
      return found.length > 0 ? found : undefined;
    });
    expect(event?.involvedObject?.name).toBe('fic-full');
    expect(event?.message).toContain('system:serviceaccount:default:two');
    const subjects = () => world.azure.admin.federatedCredentials(app.resourceId).map((c) => c.subject);
    expect(subjects()).toHaveLength(20);
    expect(subjects()).toContain('system:serviceaccount:default:one');
    const puts = () => world.azure.admin.requestCounts()['federated_credential_put'] ?? 0;
    expect(puts()).toBe(1);

    const cyclesBefore = await cycleCount();
    const gets = world.azure.admin.requestCounts()['federated_credential_get'] ?? 0;
    await eventually('five more cycles', async () => ((await cycleCount()) >= cyclesBefore + 5 ? true : undefined));
    expect(puts()).toBe(1);
    expect(world.azure.admin.requestCounts()['federated_credential_get'] ?? 0).toBe(gets);
    expect(await overflowEvents()).toHaveLength(1);
    expect(mic.lines.filter((line) => line.includes('FederatedCredentialLimitReached'))).toHaveLength(1);
    expect(subjects().filter((s) => s.startsWith('system:serviceaccount:hand:'))).toHaveLength(19);
    expect(await mic.stop()).toBe(0);
  }, 120_000);
});
