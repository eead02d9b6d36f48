import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeProtectedHeader, importJWK, importPKCS8, type JWK, jwtVerify, SignJWT } from 'jose';
import { type EmulatedWorld, msalAppFor, startEmulatedWorld } from '../test-support/emulated-world.js';
import { rawRequest } from '../test-support/https-request.js';
import { generateClientCertificate } from '../tls/certificates.js';

describe('AAD token endpoints', () => {
  let world: EmulatedWorld;
  let jwks: { keys: JWK[] };
  let issuer: string;

  beforeAll(async () => {
    world = await startEmulatedWorld({}, 0);
    const oidc = await rawRequest(`${world.emulator.aadUrl}/${world.tenantId}/v2.0/.well-known/openid-configuration`, {
      ca: world.emulator.caCertPem,
    });
    issuer = oidc.json.issuer;
    const keys = await rawRequest(oidc.json.jwks_uri, { ca: world.emulator.caCertPem });
    jwks = keys.json;
  });

  afterAll(async () => {
    await world.emulator.close();
  });

  // jose's createLocalJWKSet structuredClones across jest's VM realm and then rejects the copy, so the key is
  // picked from the JWKS by `kid` here, which is what a JWKS-based verifier does.
  async function verify(token: string, audience: string) {
    const { kid } = decodeProtectedHeader(token);
    const jwk = jwks.keys.find((k) => k.kid === kid);
    expect(jwk).toBeDefined();
    const { payload, protectedHeader } = await jwtVerify(token, await importJWK(jwk!, 'RS256'), { issuer, audience });
    expect(protectedHeader.alg).toBe('RS256');
    return payload;
  }

  test('msal-node client credentials with a secret; the token verifies against the JWKS', async () => {
    const app = msalAppFor(world.emulator, world.tenantId, world.sp.clientId, { clientSecret: world.sp.secret });
    const result = await app.acquireTokenByClientCredential({ scopes: ['https://vault.azure.net/.default'] });
    const claims = await verify(result!.accessToken, 'https://vault.azure.net');
    expect(claims).toMatchObject({ tid: world.tenantId, appid: world.sp.clientId });
    expect(typeof claims['oid']).toBe('string');
    expect(claims.exp! - claims.iat!).toBeGreaterThan(3000);
    const again = await app.acquireTokenByClientCredential({ scopes: ['https://vault.azure.net/.default'] });
    expect(again?.fromCache).toBe(true);
  });

  test.each([
    ['SHA-256 thumbprint (PS256, x5t#S256)', 'thumbprintSha256'],
    ['SHA-1 thumbprint (RS256, x5t)', 'thumbprint'],
  ] as const)('msal-node client credentials with a certificate, %s', async (_name, field) => {
    const { certificate } = world.sp;
    const thumbprint = field === 'thumbprint' ? certificate.thumbprintSha1 : certificate.thumbprintSha256;
    const app = msalAppFor(world.emulator, world.tenantId, world.sp.clientId, {
      clientCertificate: { [field]: thumbprint, privateKey: certificate.privateKeyPem } as never,
    });
    const result = await app.acquireTokenByClientCredential({ scopes: ['https://management.azure.com/.default'] });
    const claims = await verify(result!.accessToken, 'https://management.azure.com');
    expect(claims['appid']).toBe(world.sp.clientId);
  });

  test('a wrong secret is AAD invalid_client AADSTS7000215', async () => {
    const app = msalAppFor(world.emulator, world.tenantId, world.sp.clientId, { clientSecret: 'wrong' });
    await expect(
      app.acquireTokenByClientCredential({ scopes: ['https://vault.azure.net/.default'] }),
    ).rejects.toMatchObject({
      errorCode: 'invalid_client',
      errorMessage: expect.stringContaining('AADSTS7000215: Invalid client secret provided.'),
    });
  });

  test('a certificate not registered on the app is AADSTS700027', async () => {
    const stranger = await generateClientCertificate('stranger');
    const app = msalAppFor(world.emulator, world.tenantId, world.sp.clientId, {
      clientCertificate: { thumbprintSha256: stranger.thumbprintSha256, privateKey: stranger.privateKeyPem },
    });
    await expect(
      app.acquireTokenByClientCredential({ scopes: ['https://vault.azure.net/.default'] }),
    ).rejects.toMatchObject({
      errorCode: 'invalid_client',
      errorMessage: expect.stringContaining('AADSTS700027'),
    });
  });

  test('an RS256 assertion with x5t on the v1 endpoint (what Go adal sends) gets a v1 response with string fields', async () => {
    const { certificate } = world.sp;
    const tokenUrl = `${world.emulator.aadUrl}/${world.tenantId}/oauth2/token`;
    const x5t = Buffer.from(certificate.thumbprintSha1, 'hex').toString('base64url');
    const assertion = await new SignJWT({ jti: 'abc' })
      .setProtectedHeader({ alg: 'RS256', x5t })
      .setIssuer(world.sp.clientId)
      .setSubject(world.sp.clientId)
      .setAudience(tokenUrl)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .sign(await importPKCS8(certificate.privateKeyPem, 'RS256'));
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: world.sp.clientId,
      resource: 'https://vault.azure.net',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    const res = await post(tokenUrl, form.toString());
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', resource: 'https://vault.azure.net' });
    for (const field of ['expires_in', 'expires_on', 'not_before', 'ext_expires_in']) {
      expect(res.json[field]).toMatch(/^\d+$/);
    }
    await verify(res.json.access_token, 'https://vault.azure.net');

    // The same assertion signed by someone else's key fails signature validation.
    const forged = `${assertion.split('.').slice(0, 2).join('.')}.${Buffer.from('x'.repeat(256)).toString('base64url')}`;
    const refused = await post(
      tokenUrl,
      new URLSearchParams({ ...Object.fromEntries(form), client_assertion: forged }).toString(),
    );
    expect(refused.status).toBe(401);
    expect(refused.json.error_codes).toEqual([700027]);
  });

  function post(url: string, body: string) {
    return rawRequest(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
      ca: world.emulator.caCertPem,
    });
  }

  test.each([
    [
      'unknown tenant',
      'tenant',
      'grant_type=client_credentials&client_id=x&scope=a%2F.default',
      400,
      'invalid_request',
      90002,
    ],
    [
      'unknown client',
      'ok',
      'grant_type=client_credentials&client_id=nobody&scope=a%2F.default&client_secret=s',
      400,
      'unauthorized_client',
      700016,
    ],
    ['missing grant_type', 'ok', 'client_id=x', 400, 'invalid_request', 900144],
    ['unsupported grant', 'ok', 'grant_type=password&client_id=x', 400, 'unsupported_grant_type', 70003],
    ['missing scope', 'ok', 'grant_type=client_credentials&client_id=x', 400, 'invalid_request', 900144],
    [
      'scope without /.default',
      'ok',
      'grant_type=client_credentials&client_id=x&scope=https%3A%2F%2Fvault.azure.net',
      400,
      'invalid_scope',
      1002012,
    ],
    [
      'no credential',
      'ok',
      'grant_type=client_credentials&client_id=CLIENT&scope=a%2F.default',
      401,
      'invalid_client',
      7000218,
    ],
    ['garbage body', 'ok', '%%%&&&==', 400, 'invalid_request', 900144],
  ])('%s -> AAD error body', async (_name, tenantMode, body, status, error, code) => {
    const tenant = tenantMode === 'tenant' ? '11111111-1111-1111-1111-111111111111' : world.tenantId;
    const res = await post(
      `${world.emulator.aadUrl}/${tenant}/oauth2/v2.0/token`,
      body.replace('CLIENT', world.sp.clientId),
    );
    expect(res.status).toBe(status);
    expect(res.json.error).toBe(error);
    expect(res.json.error_codes).toEqual([code]);
    expect(res.json.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
  });

  test('instance discovery and a GET on the token endpoint are answered', async () => {
    const discovery = await rawRequest(
      `${world.emulator.aadUrl}/common/discovery/instance?api-version=1.1&authorization_endpoint=x`,
      { ca: world.emulator.caCertPem },
    );
    expect(discovery.json.metadata[0].aliases).toEqual([new URL(world.emulator.aadUrl).host]);
    const get = await rawRequest(`${world.emulator.aadUrl}/${world.tenantId}/oauth2/v2.0/token`, {
      ca: world.emulator.caCertPem,
    });
    expect(get.status).toBe(405);
  });

  test('injected AAD faults answer the chosen status', async () => {
    world.emulator.admin.injectFault('aad', 'aad_token', { status: 503, count: 1 });
    const res = await post(
      `${world.emulator.aadUrl}/${world.tenantId}/oauth2/v2.0/token`,
      'grant_type=client_credentials',
    );
    expect(res.status).toBe(503);
    expect(res.json.error).toBe('temporarily_unavailable');
  });
});
