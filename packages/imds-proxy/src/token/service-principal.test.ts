import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { pfxOf, selfSignedCertificate } from '../test-support/certificates.js';
import { type FakeAad, startFakeAad } from '../test-support/fake-aad.js';
import { pod, servicePrincipalIdentity } from '../test-support/fake-cluster.js';
import { errorText } from '../test-support/http-client.js';
import { type HarnessOptions, type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';
import { chooseClientSecret } from './service-principal-secret.js';

const TOKEN = '/metadata/identity/oauth2/token';
const SP = 'spspspsp-1111-2222-3333-444444444444';
const CERT_SP = 'certcert-1111-2222-3333-444444444444';

let aad: FakeAad;
let harness: NmiHarness | undefined;
beforeAll(async () => {
  aad = await startFakeAad();
});
afterAll(async () => {
  await aad.close();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const text = (value: string) => new TextEncoder().encode(value);

async function start(options: HarnessOptions = {}) {
  harness = await startNmiHarness({ aadCa: aad.caPem, ...options });
  return harness;
}

describe('service principals (§3.10)', () => {
  test('type 1: client secret from the Kubernetes secret, authority from spec.adEndpoint', async () => {
    aad.register({ clientId: SP, tenants: ['tenant-1'], secret: 's3cret' });
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    const identity = servicePrincipalIdentity('sp', 'demo', {
      type: 1,
      clientId: SP,
      tenantId: 'tenant-1',
      adEndpoint: aad.authorityHost,
      secretName: 'sp-secret',
    });
    h.cluster.assign(app, identity);
    h.cluster.secrets.set('demo/sp-secret', { clientSecret: text('s3cret'), other: text('ignored') });

    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=${encodeURIComponent('https://management.azure.com/')}`);
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body.access_token).toMatch(/^aad\.tenant-1\.spspspsp-.*\.https:\/\/management\.azure\.com\/\/\.default\./);
    expect(body.resource).toBe('https://management.azure.com/');
    expect(body.token_type).toBe('Bearer');
    // msal computes expiry from its own clock; the lifetime AAD gave (3599 s) comes through, give or take rounding.
    expect(Math.abs(Number(body.expires_on) - Number(body.not_before) - 3599)).toBeLessThanOrEqual(1);
    expect(aad.calls.at(-1)).toMatchObject({ tenant: 'tenant-1', grant: 'secret', status: 200 });
  });

  test('type 1 wrong secret → 403 (AAD refused); unreadable secret → 503', async () => {
    aad.register({ clientId: SP, tenants: ['tenant-1'], secret: 's3cret' });
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    h.cluster.assign(
      app,
      servicePrincipalIdentity('sp', 'demo', {
        type: 1,
        clientId: SP,
        tenantId: 'tenant-1',
        adEndpoint: aad.authorityHost,
        secretName: 'sp-secret',
      }),
    );
    h.cluster.secrets.set('demo/sp-secret', { clientSecret: text('wrong') });
    const refused = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(refused.status).toBe(403);
    expect(errorText(refused)).toContain('AADSTS7000215');
    expect(refused.body).not.toContain('wrong');

    h.cluster.secrets.clear();
    const unreadable = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(unreadable.status).toBe(503);
    expect(errorText(unreadable)).toBe(
      'failed to get Kubernetes secret demo/sp-secret, err: secrets "sp-secret" not found',
    );
  });

  test('a cached SP token is never served through another identity object naming the same clientID but a different secret', async () => {
    aad.register({ clientId: SP, tenants: ['tenant-1'], secret: 's3cret' });
    const h = await start();
    const owner = h.cluster.addPod(pod('owner', 'team-a', '127.0.0.2'));
    const intruder = h.cluster.addPod(pod('intruder', 'team-b', '127.0.0.3'));
    const spec = { type: 1 as const, clientId: SP, tenantId: 'tenant-1', adEndpoint: aad.authorityHost };
    h.cluster.assign(owner, servicePrincipalIdentity('sp', 'team-a', { ...spec, secretName: 'sp-secret' }));
    // Someone who knows only the clientID declares the same service principal in their own namespace.
    h.cluster.assign(intruder, servicePrincipalIdentity('sp', 'team-b', { ...spec, secretName: 'guessed' }));
    h.cluster.secrets.set('team-a/sp-secret', { clientSecret: text('s3cret') });

    expect((await h.get('127.0.0.2', `${TOKEN}?resource=x`)).status).toBe(200);
    const stolen = await h.get('127.0.0.3', `${TOKEN}?resource=x`);
    expect(stolen.status).toBe(503);
    expect(errorText(stolen)).toContain('failed to get Kubernetes secret team-b/guessed');
  });

  test('row 60: auxiliaryTenantIDs → JSON array, primary tenant first; /host/token returns only the primary', async () => {
    aad.register({ clientId: SP, tenants: ['primary', 'aux-1', 'aux-2'], secret: 's3cret' });
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    h.cluster.assign(
      app,
      servicePrincipalIdentity('sp', 'demo', {
        type: 1,
        clientId: SP,
        tenantId: 'primary',
        adEndpoint: aad.authorityHost,
        secretName: 'sp-secret',
        auxiliaryTenantIDs: ['aux-1', 'aux-2'],
      }),
    );
    h.cluster.secrets.set('demo/sp-secret', { clientSecret: text('s3cret') });
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { access_token: string; resource: string }[];
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((token) => token.access_token.split('.')[1])).toEqual(['primary', 'aux-1', 'aux-2']);
    expect(body.every((token) => token.resource === 'x')).toBe(true);

    const { httpGet } = await import('../test-support/http-client.js');
    const host = await httpGet(h.port, '/host/token?resource=x', {
      localAddress: '127.0.0.1',
      headers: { podns: 'demo', podname: 'app' },
    });
    expect(JSON.parse(host.body).token.access_token.split('.')[1]).toBe('primary');
  });

  test('row 61: type 2 certificate (PFX + password) → token via client assertion', async () => {
    const certificate = selfSignedCertificate('sp-cert');
    aad.register({ clientId: CERT_SP, tenants: ['tenant-2'], certificatePem: certificate.certPem });
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    h.cluster.assign(
      app,
      servicePrincipalIdentity('cert', 'demo', {
        type: 2,
        clientId: CERT_SP,
        tenantId: 'tenant-2',
        adEndpoint: aad.authorityHost,
        secretName: 'cert-secret',
      }),
    );
    h.cluster.secrets.set('demo/cert-secret', {
      certificate: pfxOf(certificate, 'pfx-pass'),
      password: text('pfx-pass'),
    });
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).access_token).toMatch(/^aad\.tenant-2\.certcert/);
    expect(aad.calls.at(-1)).toMatchObject({ grant: 'assertion', status: 200 });

    // A wrong PFX password is a decode failure: 503, not 403.
    h.cluster.secrets.set('demo/cert-secret', { certificate: pfxOf(certificate, 'pfx-pass'), password: text('nope') });
    h.nmi.tokenCache?.clear();
    const badPassword = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(badPassword.status).toBe(503);
    expect(errorText(badPassword)).toMatch(/^failed to decode pkcs12 certificate/);
  });
});

describe('Q10: deterministic client secret key', () => {
  test('clientSecret wins, else the only key, else a clear error', () => {
    expect(chooseClientSecret({ zzz: text('other'), clientSecret: text('right') }, 'ns/s')).toBe('right');
    expect(chooseClientSecret({ password: text('only') }, 'ns/s')).toBe('only');
    expect(() => chooseClientSecret({ a: text('1'), b: text('2') }, 'ns/s')).toThrow(
      'secret ns/s has several keys (a, b) and none is named clientSecret',
    );
    expect(() => chooseClientSecret({}, 'ns/s')).toThrow('secret ns/s has no data');
  });
});
