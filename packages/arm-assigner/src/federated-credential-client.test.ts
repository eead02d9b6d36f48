/**
 * SdkFederatedCredentialClient against the azure-emulator over HTTPS with the real @azure/arm-msi client.
 */
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { isArmAssignerError } from './errors.js';
import { SdkFederatedCredentialClient } from './federated-credential-client.js';
import { type EmulatorWorld, startEmulatorWorld } from './test-support/emulator-world.js';

let world: EmulatorWorld;
let client: SdkFederatedCredentialClient;

beforeAll(async () => {
  world = await startEmulatorWorld();
  client = new SdkFederatedCredentialClient({
    credential: world.credential,
    resourceManagerEndpointUrl: world.environment.resourceManagerEndpointUrl,
    tlsCa: world.emulator.caCertPem,
    transientRetry: { maxRetries: 1, initialDelayMs: 2, maxDelayMs: 10 },
  });
});

afterAll(async () => {
  await world?.close();
});

const credential = (name: string, subject: string) => ({
  name,
  issuer: 'https://issuer.example',
  subject,
  audiences: ['api://AzureADTokenExchange'],
});

describe('SdkFederatedCredentialClient', () => {
  test('create, list and delete through arm-msi; deleting a missing one is fine', async () => {
    const id = world.identity('fic-crud');
    await client.create(id, credential('podid-a', 'system:serviceaccount:a:one'));
    await client.create(id, credential('podid-b', 'system:serviceaccount:a:two'));
    expect((await client.list(id)).map((c) => [c.name, c.subject, c.audiences])).toEqual([
      ['podid-a', 'system:serviceaccount:a:one', ['api://AzureADTokenExchange']],
      ['podid-b', 'system:serviceaccount:a:two', ['api://AzureADTokenExchange']],
    ]);
    await client.delete(id, 'podid-a');
    await client.delete(id, 'podid-a');
    expect(world.emulator.admin.federatedCredentials(id).map((c) => c.name)).toEqual(['podid-b']);
  });

  test('writes to one identity are serialised even when asked for concurrently; other identities run alongside', async () => {
    // Azure refuses concurrent federated-credential writes on one identity: count the PUT/DELETEs in flight per identity.
    const inner = createDefaultHttpClient();
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const counting: HttpClient = {
      async sendRequest(request) {
        const identity = /userAssignedIdentities\/([^/]+)\/federatedIdentityCredentials/i.exec(request.url)?.[1];
        const write = identity !== undefined && request.method !== 'GET';
        if (write) {
          inFlight.set(identity, (inFlight.get(identity) ?? 0) + 1);
          most.set(identity, Math.max(most.get(identity) ?? 0, inFlight.get(identity) ?? 0));
        }
        try {
          return await inner.sendRequest(request);
        } finally {
          if (write) inFlight.set(identity, (inFlight.get(identity) ?? 1) - 1);
        }
      },
    };
    const serialClient = new SdkFederatedCredentialClient({
      credential: world.credential,
      resourceManagerEndpointUrl: world.environment.resourceManagerEndpointUrl,
      tlsCa: world.emulator.caCertPem,
      httpClient: counting,
    });
    const ids = [world.identity('fic-serial-a'), world.identity('fic-serial-b')];
    await Promise.all(
      ids.flatMap((id) =>
        Array.from({ length: 5 }, (_, i) =>
          serialClient.create(id, credential(`podid-${i}`, `system:serviceaccount:s:${i}`)),
        ),
      ),
    );
    await Promise.all([
      serialClient.delete(ids[0] as string, 'podid-0'),
      serialClient.delete(ids[0] as string, 'podid-1'),
    ]);
    expect(world.emulator.admin.federatedCredentials(ids[0] as string)).toHaveLength(3);
    expect(world.emulator.admin.federatedCredentials(ids[1] as string)).toHaveLength(5);
    expect(Object.fromEntries(most)).toEqual({ 'fic-serial-a': 1, 'fic-serial-b': 1 });
  });

  test('errors are typed: unknown identity, bad resource ID, the 21st credential', async () => {
    const missing = `${world.identity('fic-exists')}-not`;
    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: unknown) => (isArmAssignerError(error) ? error.code : `untyped: ${String(error)}`),
      );
    expect(await codeOf(client.list(missing))).toBe('identity_not_found');
    expect(await codeOf(client.create('not-a-resource-id', credential('podid-x', 'x')))).toBe('invalid_resource_id');
    const full = world.identity('fic-full');
    for (let i = 0; i < 20; i++) await client.create(full, credential(`podid-${i}`, `system:serviceaccount:f:${i}`));
    const refused = await client.create(full, credential('podid-20', 'system:serviceaccount:f:20')).catch((e) => e);
    expect(isArmAssignerError(refused) && refused.code).toBe('arm_request_failed');
    expect(isArmAssignerError(refused) && refused.statusCode).toBe(400);
  });
});
