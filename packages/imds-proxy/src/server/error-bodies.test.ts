import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ManagedIdentityCredential } from '@azure/identity';
import { ManagedIdentityApplication } from '@azure/msal-node';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

/**
 * Issue 15 item 3: NMI's error answers in IMDS's JSON shape, so the SDKs report NMI's reason instead of a JSON
 * parse error. The pod lives at 127.0.0.1 (the SDKs cannot choose a source address) and asks for an identity it is
 * bound to but that is not on the VM: IMDS refuses, NMI answers 403 (an answer neither SDK retries).
 */
const CLIENT_OFF_VM = 'dddddddd-1111-2222-3333-444444444444';
const ENV = 'AZURE_POD_IDENTITY_AUTHORITY_HOST';
const REASON = "imds: Refresh request failed. Status Code = '400'";

let json: NmiHarness;
let savedEnv: string | undefined;

async function startFor(errorFormat: 'json' | 'text'): Promise<NmiHarness> {
  const h = await startNmiHarness({ realClock: true, errorFormat });
  const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.1'));
  h.cluster.assign(app, msiIdentity('off-vm', 'demo', CLIENT_OFF_VM));
  return h;
}

beforeAll(async () => {
  // The default format. (msal-node fixes its IMDS endpoint once per process, so one server per file.)
  json = await startFor('json');
  savedEnv = process.env[ENV];
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env[ENV];
  else process.env[ENV] = savedEnv;
  await json.close();
});

function aimAt(h: NmiHarness): void {
  process.env[ENV] = `http://127.0.0.1:${h.port}`;
}

async function msalError(h: NmiHarness): Promise<{ errorCode: string; message: string }> {
  aimAt(h);
  const app = new ManagedIdentityApplication({ managedIdentityIdParams: { userAssignedClientId: CLIENT_OFF_VM } });
  try {
    await app.acquireToken({ resource: 'https://vault.azure.net', forceRefresh: true });
  } catch (error) {
    const { errorCode, message } = error as { errorCode: string; message: string };
    return { errorCode, message };
  }
  throw new Error('msal-node acquired a token');
}

describe('error bodies the SDKs can read (issue 15 item 3)', () => {
  test('the raw answer: 403, IMDS JSON shape, upstream text as error_description', async () => {
    const answer = await json.get('127.0.0.1', `/metadata/identity/oauth2/token?resource=x&client_id=${CLIENT_OFF_VM}`);
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(answer.body) as Record<string, string>;
    expect(Object.keys(body)).toEqual(['error', 'error_description']);
    expect(body['error']).toBe('access_denied');
    expect(body['error_description']).toMatch(/^imds: Refresh request failed\. Status Code = '400'\. Response body: /);
  });

  test("msal-node reports the IMDS error code and NMI's reason", async () => {
    const { errorCode, message } = await msalError(json);
    expect(errorCode).toBe('access_denied');
    expect(message).toContain(REASON);
  });

  test("@azure/identity ManagedIdentityCredential shows NMI's reason", async () => {
    aimAt(json);
    const credential = new ManagedIdentityCredential({ clientId: CLIENT_OFF_VM });
    const failure = await credential.getToken('https://vault.azure.net/.default').then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeDefined();
    expect(failure?.message).toContain(REASON);
  });
});
