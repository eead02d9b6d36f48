import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { decodeJwt, exportJWK, SignJWT } from 'jose';
import { createMsalNetworkClient } from '../msal-network-client.js';
import { MAX_FEDERATED_CREDENTIALS_PER_IDENTITY } from '../state/federated-credentials.js';
import { type EmulatedWorld, startEmulatedWorld } from '../test-support/emulated-world.js';

const EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
const SUBJECT = 'system:serviceaccount:apps:worker';

/** A real OIDC issuer on loopback (as a cluster's service-account issuer): discovery document and JWKS. */
class TestIssuer {
  readonly server: Server;
  url = '';
  private readonly key: KeyObject;
  private readonly kid = 'issuer-key-1';

  constructor(jwk?: Promise<Record<string, unknown>>) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.key = privateKey;
    const publicJwk = jwk ?? exportJWK(publicKey);
    this.server = createServer((req, res) => {
      void (async () => {
        if (req.url === '/.well-known/openid-configuration') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/openid/v1/jwks` }));
        } else if (req.url === '/openid/v1/jwks') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ keys: [{ ...(await publicJwk), kid: this.kid, alg: 'RS256', use: 'sig' }] }));
        } else {
          res.writeHead(404).end();
        }
      })();
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  sign(claims: { sub?: string; aud?: string; iss?: string; expiresInSeconds?: number; issuedAgoSeconds?: number }) {
    const now = Math.floor(Date.now() / 1000) - (claims.issuedAgoSeconds ?? 0);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .setIssuer(claims.iss ?? this.url)
      .setSubject(claims.sub ?? SUBJECT)
      .setAudience([claims.aud ?? EXCHANGE_AUDIENCE])
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (claims.expiresInSeconds ?? 3600))
      .sign(this.key);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('workload identity federation (jwt-bearer with a federated credential)', () => {
  let world: EmulatedWorld;
  let issuer: TestIssuer;
  let identity: { id: string; clientId: string; principalId: string };

  beforeAll(async () => {
    world = await startEmulatedWorld({}, 0);
    issuer = await new TestIssuer().start();
    identity = world.emulator.admin.createUserAssignedIdentity({
      subscriptionId: world.subscriptionId,
      resourceGroup: 'rg-identities',
      name: 'federated-app',
    });
    await world.msi.federatedIdentityCredentials.createOrUpdate('rg-identities', 'federated-app', 'worker', {
      issuer: issuer.url,
      subject: SUBJECT,
      audiences: [EXCHANGE_AUDIENCE],
    });
  });

  afterAll(async () => {
    await issuer.close();
    await world.emulator.close();
  });

  function appWith(assertion: () => Promise<string>, clientId = identity.clientId) {
    return new ConfidentialClientApplication({
      auth: {
        clientId,
        authority: `${world.emulator.aadUrl}/${world.tenantId}`,
        knownAuthorities: [new URL(world.emulator.aadUrl).host],
        clientAssertion: assertion,
      },
      system: { networkClient: createMsalNetworkClient(world.emulator.caCertPem) },
    });
  }

  async function refusal(assertion: () => Promise<string>): Promise<string> {
    try {
      await appWith(assertion).acquireTokenByClientCredential({ scopes: ['https://vault.azure.net/.default'] });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected AAD to refuse the assertion');
  }

  test('msal-node exchanges a service-account-style token for the identity’s own access token', async () => {
    const result = await appWith(() => issuer.sign({})).acquireTokenByClientCredential({
      scopes: ['https://vault.azure.net/.default'],
    });
    const claims = decodeJwt(result!.accessToken);
    expect(claims).toMatchObject({
      aud: 'https://vault.azure.net',
      tid: world.tenantId,
      appid: identity.clientId,
      oid: identity.principalId,
      xms_mirid: identity.id,
      ver: '2.0',
    });
  });

  test.each([
    ['subject mismatch', () => issuer.sign({ sub: 'system:serviceaccount:apps:other' }), 'AADSTS700213'],
    ['audience mismatch', () => issuer.sign({ aud: 'api://something-else' }), 'AADSTS700212'],
    ['wrong issuer', () => issuer.sign({ iss: 'https://elsewhere.example' }), 'AADSTS700211'],
    ['expired assertion', () => issuer.sign({ issuedAgoSeconds: 7200 }), 'AADSTS700024'],
    ['malformed assertion', async () => 'not-a-jwt', 'AADSTS50027'],
  ])('refuses: %s', async (_name, assertion, code) => {
    const message = await refusal(assertion);
    expect(message).toContain(code);
  });

  test('refuses an assertion signed by another key claiming the same issuer (signature checked via JWKS)', async () => {
    const impostor = await new TestIssuer().start();
    try {
      const forged = await impostor.sign({ iss: issuer.url });
      expect(await refusal(async () => forged)).toContain('AADSTS700027');
    } finally {
      await impostor.close();
    }
  });

  test('an identity with no federated credential refuses with AADSTS70021', async () => {
    const bare = world.emulator.admin.createUserAssignedIdentity({
      subscriptionId: world.subscriptionId,
      resourceGroup: 'rg-identities',
      name: 'no-credentials',
    });
    let message = '';
    try {
      await appWith(() => issuer.sign({}), bare.clientId).acquireTokenByClientCredential({
        scopes: ['https://vault.azure.net/.default'],
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('AADSTS70021');
    expect(message).toContain(`Assertion Subject: '${SUBJECT}'`);
  });
});

describe('federatedIdentityCredentials through @azure/arm-msi', () => {
  let world: EmulatedWorld;

  beforeAll(async () => {
    world = await startEmulatedWorld({}, 1);
  });
  afterAll(async () => {
    await world.emulator.close();
  });

  const fic = (n: number) => ({
    issuer: 'https://issuer.example',
    subject: `system:serviceaccount:ns:sa-${n}`,
    audiences: [EXCHANGE_AUDIENCE],
  });

  test('create (201) / update (200), get, list with paging, delete', async () => {
    const ops = world.msi.federatedIdentityCredentials;
    const created = await ops.createOrUpdate('rg-identities', 'id-0', 'cred-a', fic(1));
    expect(created).toMatchObject({
      name: 'cred-a',
      type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
      issuer: 'https://issuer.example',
      subject: 'system:serviceaccount:ns:sa-1',
      audiences: [EXCHANGE_AUDIENCE],
    });
    expect(created.id).toBe(`${world.identityIds[0]}/federatedIdentityCredentials/cred-a`);
    const updated = await ops.createOrUpdate('rg-identities', 'id-0', 'cred-a', fic(2));
    expect(updated.subject).toBe('system:serviceaccount:ns:sa-2');
    expect((await ops.get('rg-identities', 'id-0', 'cred-a')).subject).toBe('system:serviceaccount:ns:sa-2');
    await ops.createOrUpdate('rg-identities', 'id-0', 'cred-b', fic(3));
    const names: string[] = [];
    for await (const item of ops.list('rg-identities', 'id-0', { top: 1 })) names.push(item.name!);
    expect(names).toEqual(['cred-a', 'cred-b']);
    await ops.delete('rg-identities', 'id-0', 'cred-b');
    await expect(ops.get('rg-identities', 'id-0', 'cred-b')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
    await ops.delete('rg-identities', 'id-0', 'cred-a');
    expect(world.emulator.admin.federatedCredentials(world.identityIds[0]!)).toEqual([]);
  });

  test('refuses a duplicate (issuer, subject), a bad name, and the 21st credential', async () => {
    const ops = world.msi.federatedIdentityCredentials;
    await ops.createOrUpdate('rg-identities', 'id-0', 'first', fic(0));
    await expect(ops.createOrUpdate('rg-identities', 'id-0', 'copy', fic(0))).rejects.toMatchObject({
      statusCode: 409,
    });
    await expect(ops.createOrUpdate('rg-identities', 'id-0', '-bad', fic(99))).rejects.toMatchObject({
      statusCode: 400,
      code: 'InvalidResourceName',
    });
    for (let n = 1; n < MAX_FEDERATED_CREDENTIALS_PER_IDENTITY; n++) {
      await ops.createOrUpdate('rg-identities', 'id-0', `cred-${n}`, fic(n));
    }
    await expect(ops.createOrUpdate('rg-identities', 'id-0', 'one-too-many', fic(21))).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('maximum of 20'),
    });
    // Updating an existing one at the limit is still allowed.
    await ops.createOrUpdate('rg-identities', 'id-0', 'cred-1', fic(1));
    expect(world.emulator.admin.federatedCredentials(world.identityIds[0]!)).toHaveLength(20);
  });

  test('a credential of a missing identity is 404', async () => {
    await expect(
      world.msi.federatedIdentityCredentials.createOrUpdate('rg-identities', 'ghost', 'x-1', fic(1)),
    ).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });
});
