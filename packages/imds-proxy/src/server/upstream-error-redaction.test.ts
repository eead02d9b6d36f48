import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from '@jest/globals';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

/**
 * Issue 14: what Azure sends back in an error body is answered to the pod and logged. When it echoes a secret (a
 * token, an assertion, a SAS signature), neither the answer nor the request log carries it.
 */
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJub2RlLWlkZW50aXR5In0.c2lnbmF0dXJlLWJ5dGVz';
const SAS = 'sv=2021&sig=QmFzZTY0U2lnbmF0dXJl&se=2030';

let harness: NmiHarness | undefined;
let imds: http.Server | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  imds?.closeAllConnections();
  await new Promise((resolve) => imds?.close(resolve));
  imds = undefined;
});

test('an IMDS refusal that echoes a token and a SAS signature reaches neither the pod nor the log', async () => {
  imds = http.createServer((_req, res) => {
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        error: 'invalid_request',
        error_description: `Identity not found. assertion: ${JWT} at https://x.blob.core.windows.net/c?${SAS}`,
        access_token: 'opaque-secret-value',
      }),
    );
  });
  await new Promise<void>((resolve) => imds?.listen(0, '127.0.0.1', resolve));
  const { port } = imds.address() as AddressInfo;
  const h = await startNmiHarness({ imdsBaseUrl: `http://127.0.0.1:${port}` });
  harness = h;
  const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
  h.cluster.assign(app, msiIdentity('id-a', 'demo', 'aaaaaaaa-1111-2222-3333-444444444444'));

  const answer = await h.get('127.0.0.2', '/metadata/identity/oauth2/token?resource=https://vault.azure.net');
  expect(answer.status).toBe(403);
  expect(answer.body).toContain('Identity not found');
  const logged = JSON.stringify(h.logs);
  for (const text of [answer.body, logged]) {
    expect(text).not.toContain(JWT);
    expect(text).not.toContain('QmFzZTY0U2lnbmF0dXJl');
    expect(text).not.toContain('opaque-secret-value');
    expect(text).toContain('[REDACTED]');
  }
});
