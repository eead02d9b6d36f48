import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ManagedIdentityCredential } from '@azure/identity';
import { ManagedIdentityApplication } from '@azure/msal-node';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { httpGet } from '../test-support/http-client.js';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

/**
 * The Azure SDKs cannot pick a source address, so the pod for these tests lives at 127.0.0.1. They reach NMI
 * through AZURE_POD_IDENTITY_AUTHORITY_HOST, the supported override of the IMDS address.
 */
const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';
const CLIENT_B = 'bbbbbbbb-1111-2222-3333-444444444444';
const ENV = 'AZURE_POD_IDENTITY_AUTHORITY_HOST';

let h: NmiHarness;
let savedEnv: string | undefined;

beforeAll(async () => {
  h = await startNmiHarness({ realClock: true });
  const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.1'));
  h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
  h.cluster.assign(app, msiIdentity('id-b', 'demo', CLIENT_B));
  h.imds.assigned.add(CLIENT_A);
  h.imds.assigned.add(CLIENT_B);
  savedEnv = process.env[ENV];
  process.env[ENV] = `http://127.0.0.1:${h.port}`;
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env[ENV];
  else process.env[ENV] = savedEnv;
  await h.close();
});

function nmiTokenRequests(): number {
  return h.logs.filter((entry) => entry.route === '/metadata/identity/oauth2/token').length;
}

describe('real Azure clients against NMI', () => {
  test('msal-node ManagedIdentityApplication gets the right identity and serves the second call from its cache', async () => {
    const app = new ManagedIdentityApplication({ managedIdentityIdParams: { userAssignedClientId: CLIENT_B } });
    const before = nmiTokenRequests();
    const first = await app.acquireToken({ resource: 'https://storage.azure.com' });
    expect(first.accessToken).toMatch(new RegExp(`^imds\\.${CLIENT_B}\\.https://storage\\.azure\\.com\\.`));
    expect(first.fromCache).toBe(false);
    const second = await app.acquireToken({ resource: 'https://storage.azure.com' });
    // MSAL keys its cache on the echoed `resource`: an exact echo is what makes this a cache hit.
    expect(second.fromCache).toBe(true);
    expect(second.accessToken).toBe(first.accessToken);
    expect(nmiTokenRequests() - before).toBe(1);
  });

  test('@azure/identity ManagedIdentityCredential gets a token for the requested client ID', async () => {
    const credential = new ManagedIdentityCredential({ clientId: CLIENT_A });
    const token = await credential.getToken('https://vault.azure.net/.default');
    expect(token.token).toMatch(new RegExp(`^imds\\.${CLIENT_A}\\.https://vault\\.azure\\.net\\.`));
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const again = await credential.getToken('https://vault.azure.net/.default');
    expect(again.token).toBe(token.token);
  });

  test('a raw client sees exactly the fields IMDS issued (resource echoed as sent)', async () => {
    const answer = await httpGet(
      h.port,
      '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fgraph.microsoft.com',
      {
        localAddress: '127.0.0.1',
        headers: { Metadata: 'true' },
      },
    );
    const body = JSON.parse(answer.body) as Record<string, string>;
    const issued = h.imds.issued.find((token) => token.access_token === body.access_token);
    expect(issued).toBeDefined();
    for (const field of [
      'access_token',
      'refresh_token',
      'expires_in',
      'expires_on',
      'not_before',
      'token_type',
      'client_id',
    ]) {
      expect(body[field]).toBe(issued?.[field]);
    }
    expect(body.resource).toBe('https://graph.microsoft.com');
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'client_id',
      'expires_in',
      'expires_on',
      'not_before',
      'refresh_token',
      'resource',
      'token_type',
    ]);
  });
});
