/**
 * SdkFederatedCredentialClient against the azure-emulator over HTTPS with the real @azure/arm-msi client.
 */
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

  test('writes to one identity are serialised even when asked for concurrently', async () => {
    const id = world.identity('fic-serial');
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => client.create(id, credential(`podid-${i}`, `system:serviceaccount:s:${i}`))),
    );
    expect(world.emulator.admin.federatedCredentials(id)).toHaveLength(5);
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
