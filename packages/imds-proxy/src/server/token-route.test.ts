import { afterEach, describe, expect, test } from '@jest/globals';
import { binding, msiIdentity, pod } from '../test-support/fake-cluster.js';
import { errorText } from '../test-support/http-client.js';
import { type HarnessOptions, type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

const TOKEN = '/metadata/identity/oauth2/token';
const VAULT = 'https://vault.azure.net';
const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';
const CLIENT_B = 'bbbbbbbb-1111-2222-3333-444444444444';

let harness: NmiHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: HarnessOptions = {}): Promise<NmiHarness> {
  harness = await startNmiHarness(options);
  return harness;
}

/** Pod `demo/app` at 127.0.0.2 with identity A assigned (and A on the VM). */
async function startWithBoundPod(options: HarnessOptions = {}) {
  const h = await start(options);
  const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2', { labels: { aadpodidbinding: 'app' } }));
  const identityA = msiIdentity('id-a', 'demo', CLIENT_A);
  h.cluster.assign(app, identityA);
  h.imds.assigned.add(CLIENT_A);
  return { h, app, identityA };
}

describe('token route (§3.5)', () => {
  test('row 46: a bound pod gets 200 with the seven string fields, resource echoed, JSON content type', async () => {
    const { h } = await startWithBoundPod();
    const answer = await h.get('127.0.0.2', `${TOKEN}?api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    for (const field of [
      'access_token',
      'refresh_token',
      'expires_in',
      'expires_on',
      'not_before',
      'resource',
      'token_type',
    ]) {
      expect(typeof body[field]).toBe('string');
    }
    expect(body['resource']).toBe(VAULT);
    expect(body['client_id']).toBe(CLIENT_A);
    expect(body['access_token']).toMatch(new RegExp(`^imds\\.${CLIENT_A}\\.`));
    // NMI asked IMDS by the identity's client ID, with the Metadata header.
    const call = h.imds.tokenCalls()[0];
    expect(call?.clientId).toBe(CLIENT_A);
    expect(call?.headers['metadata']).toBe('true');
  });

  test('the resource is echoed byte for byte even when IMDS normalises it', async () => {
    const { h } = await startWithBoundPod();
    const odd = 'https://management.azure.com/';
    const answer = await h.get('127.0.0.2', `${TOKEN}/?resource=${encodeURIComponent(odd)}`);
    expect(JSON.parse(answer.body).resource).toBe(odd);
  });

  test('row 50: missing Metadata header → 400 JSON at once; optional when not required', async () => {
    const h = await start();
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`, {});
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.body).toBe(
      '{"error":"invalid_request","error_description":"Required metadata header not specified"}\n',
    );
    expect(h.cluster.podLookups).toBe(0);
    const wrongValue = await h.get('127.0.0.2', `${TOKEN}?resource=x`, { Metadata: 'True' });
    expect(wrongValue.status).toBe(400);
    await h.close();

    const { h: relaxed } = await startWithBoundPod({ metadataHeaderRequired: false });
    const ok = await relaxed.get('127.0.0.2', `${TOKEN}?resource=x`, {});
    expect(ok.status).toBe(200);
  });

  test('row 51: missing resource → 400 "parameter resource cannot be empty"', async () => {
    const { h } = await startWithBoundPod();
    const answer = await h.get('127.0.0.2', TOKEN);
    expect(answer.status).toBe(400);
    expect(answer.body).toBe('{"error":"invalid_request","error_description":"parameter resource cannot be empty"}\n');
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  test("row 51 with errorFormat text: upstream's Go http.Error bytes", async () => {
    const { h } = await startWithBoundPod({ errorFormat: 'text' });
    const answer = await h.get('127.0.0.2', TOKEN);
    expect(answer.status).toBe(400);
    expect(answer.body).toBe('parameter resource cannot be empty\n');
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  test('row 52: unknown caller IP → 500 "pod list is empty" after 5 lookups 300 ms apart', async () => {
    const h = await start();
    const answer = await h.get('127.0.0.9', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(500);
    expect(errorText(answer)).toBe('pod list is empty');
    // Five attempts 300 ms apart; the first is read twice, once by the cached-token fast path that then hands over.
    expect(h.cluster.podLookups).toBe(6);
    expect(h.clock.sleeps).toEqual([300, 300, 300, 300]);
  });

  test('two live pods with one IP → 500 naming both; terminal pods are ignored', async () => {
    const h = await start();
    h.cluster.addPod(pod('one', 'a', '127.0.0.3'));
    h.cluster.addPod(pod('two', 'b', '127.0.0.3'));
    h.cluster.addPod(pod('old', 'c', '127.0.0.4', { phase: 'Succeeded' }));
    const ambiguous = await h.get('127.0.0.3', `${TOKEN}?resource=x`);
    expect(ambiguous.status).toBe(500);
    expect(errorText(ambiguous)).toBe('failed to match pod IP 127.0.0.3 with [a/one b/two]');
    const finished = await h.get('127.0.0.4', `${TOKEN}?resource=x`);
    expect(errorText(finished)).toBe('pod list is empty');
  });

  test('row 53: no AzureAssignedIdentity → 404 after 16 sleeps of 5 s; stuck in Created → 404 after 20', async () => {
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2', { labels: { aadpodidbinding: 'app' } }));
    const nothing = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(nothing.status).toBe(404);
    expect(errorText(nothing)).toBe(
      'getting assigned identities for pod demo/app in CREATED state failed after 16 attempts, retry duration [5]s, error: <nil>. Check MIC pod logs for identity assignment errors',
    );
    expect(h.clock.sleeps.filter((ms) => ms === 5000)).toHaveLength(16);

    h.clock.sleeps.length = 0;
    h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A), 'Created');
    const stuck = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(stuck.status).toBe(404);
    expect(errorText(stuck)).toContain('in ASSIGNED state failed after 20 attempts, retry duration [5]s');
    expect(h.clock.sleeps).toHaveLength(20);
  });

  test('an identity that becomes Assigned while NMI waits is served', async () => {
    const { h, app } = await startWithBoundPod();
    h.cluster.setStatus(app, 'Created');
    const originalSleep = h.clock.sleep.bind(h.clock);
    h.clock.sleep = async (ms, signal) => {
      if (ms === 5000 && h.clock.sleeps.length === 2) h.cluster.setStatus(app, 'Assigned');
      return originalSleep(ms, signal);
    };
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(200);
  });

  test('legacy entries without status are usable', async () => {
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A), undefined);
    h.imds.assigned.add(CLIENT_A);
    expect((await h.get('127.0.0.2', `${TOKEN}?resource=x`)).status).toBe(200);
  });

  test('issue 15 item 4: a pod without the label, or whose label no binding selects, is answered at once', async () => {
    const h = await start();
    h.cluster.addPod(pod('plain', 'demo', '127.0.0.3'));
    const unlabelled = await h.get('127.0.0.3', `${TOKEN}?resource=x`);
    expect(unlabelled.status).toBe(404);
    expect(errorText(unlabelled)).toBe(
      'getting assigned identities for pod demo/plain failed: the pod has no aadpodidbinding label, so no AzureIdentityBinding can select it. No identity will be assigned until that changes',
    );
    expect(h.clock.sleeps).toHaveLength(0);
    // With bindings known (NMI watches them), a label that no binding selects is final at once too.
    const selectors = new Map([['web', [binding('web-binding', 'demo', 'id-a', 'web')]]]);
    Object.assign(h.cluster.standard, { bindingsWithSelector: (selector: string) => selectors.get(selector) ?? [] });
    h.cluster.addPod(pod('typo', 'demo', '127.0.0.4', { labels: { aadpodidbinding: 'wbe' } }));
    const typo = await h.get('127.0.0.4', `${TOKEN}?resource=x`);
    expect(typo.status).toBe(404);
    expect(errorText(typo)).toContain('no AzureIdentityBinding has selector "wbe"');
    expect(h.clock.sleeps).toHaveLength(0);
    // A label some binding selects still waits for MIC, as upstream.
    h.cluster.addPod(pod('web', 'demo', '127.0.0.5', { labels: { aadpodidbinding: 'web' } }));
    const waited = await h.get('127.0.0.5', `${TOKEN}?resource=x`);
    expect(errorText(waited)).toContain('in CREATED state failed after 16 attempts');
    expect(h.clock.sleeps.filter((ms) => ms === 5000)).toHaveLength(16);
  });

  test('row 54: retry flags shorten the wait (created=1, interval=1 → one 1 s sleep)', async () => {
    const h = await start({ retryAttemptsForCreated: 1, findIdentityRetryIntervalSeconds: 1 });
    h.cluster.addPod(pod('app', 'demo', '127.0.0.2', { labels: { aadpodidbinding: 'app' } }));
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(404);
    expect(errorText(answer)).toContain('failed after 1 attempts, retry duration [1]s');
    expect(h.clock.sleeps).toEqual([1000]);
  });

  test('row 55: --set-retry-after-header → 503 with Retry-After: 20', async () => {
    const h = await start({ setRetryAfterHeader: true, retryAttemptsForCreated: 1 });
    h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('20');
  });

  test('row 56: client_id picks among two identities; unknown client_id → 404 with redacted ID', async () => {
    const { h, app } = await startWithBoundPod();
    h.cluster.assign(app, msiIdentity('id-b', 'demo', CLIENT_B));
    h.imds.assigned.add(CLIENT_B);
    const second = await h.get('127.0.0.2', `${TOKEN}?resource=x&client_id=${CLIENT_B}`);
    expect(JSON.parse(second.body).access_token).toMatch(new RegExp(`^imds\\.${CLIENT_B}\\.`));
    // Case-insensitive (Q8 fixed).
    const upper = await h.get('127.0.0.2', `${TOKEN}?resource=x&client_id=${CLIENT_B.toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(JSON.parse(upper.body).client_id).toBe(CLIENT_B);

    const unknown = 'cccccccc-1111-2222-3333-444444444444';
    const missing = await h.get('127.0.0.2', `${TOKEN}?resource=x&client_id=${unknown}`);
    expect(missing.status).toBe(404);
    // Standard mode waits for MIC to assign the requested identity (upstream's retry loop filters by client_id),
    // then reports the not-yet-assigned failure; "no azure identity found" is the managed-mode/namespaced text.
    expect(h.clock.sleeps).toHaveLength(16);
    expect(errorText(missing)).toBe(
      'clientID in request: cccc##### REDACTED #####4444, getting assigned identities for pod demo/app in CREATED state failed after 16 attempts, retry duration [5]s, error: <nil>. Check MIC pod logs for identity assignment errors',
    );
  });

  test("§3.7: the CREATED-state failure names the request's (empty) client ID when only msi_res_id selected", async () => {
    const { h } = await startWithBoundPod();
    const missing = await h.get('127.0.0.2', `${TOKEN}?resource=x&msi_res_id=%2Fsubscriptions%2Fs%2Fother`);
    expect(missing.status).toBe(404);
    expect(errorText(missing)).toMatch(
      /^clientID in request: , getting assigned identities for pod demo\/app in CREATED/,
    );
  });

  test('row 57: msi_res_id or mi_res_id selects the identity with that resource ID', async () => {
    const { h, app } = await startWithBoundPod();
    const identityB = msiIdentity('id-b', 'demo', CLIENT_B);
    h.cluster.assign(app, identityB);
    h.imds.assigned.add(CLIENT_B);
    const id = encodeURIComponent(identityB.spec.resourceID ?? '');
    for (const parameter of ['msi_res_id', 'mi_res_id']) {
      const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x&${parameter}=${id}`);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).client_id).toBe(CLIENT_B);
    }
    // Always asked IMDS by client ID, as upstream.
    expect(h.imds.tokenCalls().every((call) => call.clientId === CLIENT_B)).toBe(true);
  });

  test('row 58: no client_id with several identities → one of them, no error', async () => {
    const { h, app } = await startWithBoundPod();
    h.cluster.assign(app, msiIdentity('id-b', 'demo', CLIENT_B));
    h.imds.assigned.add(CLIENT_B);
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(200);
    expect([CLIENT_A, CLIENT_B]).toContain(JSON.parse(answer.body).client_id);
  });

  test('row 59: IMDS 400 "Identity not found" → 403 with the IMDS body; IMDS unreachable → 503', async () => {
    const { h } = await startWithBoundPod();
    h.imds.assigned.clear();
    const refused = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(refused.status).toBe(403);
    expect(errorText(refused)).toContain("Status Code = '400'");
    expect(errorText(refused)).toContain('Identity not found');
    await h.close();

    const { h: offline } = await startWithBoundPod({ imdsBaseUrl: 'http://127.0.0.1:1' });
    const unreachable = await offline.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(unreachable.status).toBe(503);
    expect(errorText(unreachable)).toContain('failed to reach IMDS');
  });

  test('IMDS 5xx is retried with backoff before giving up', async () => {
    const { h } = await startWithBoundPod({ imdsMaxAttempts: 3, imdsRetryDelayMs: 100 });
    h.imds.failNext(500, 2);
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(200);
    expect(h.imds.tokenCalls()).toHaveLength(3);
    expect(h.clock.sleeps).toEqual([100, 200]);
  });

  test('unsupported identity type → 503 "unsupported identity type 4"', async () => {
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    const odd = msiIdentity('odd', 'demo', CLIENT_A);
    h.cluster.assign(app, { ...odd, spec: { ...odd.spec, type: 4 } });
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(503);
    expect(errorText(answer)).toBe('unsupported identity type 4');
  });

  test('a federated identity (type 3) on an NMI without service-account token access → 503, nothing asked of IMDS', async () => {
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    const federated = msiIdentity('fed', 'demo', CLIENT_A);
    h.cluster.assign(app, { ...federated, spec: { type: 3, clientID: CLIENT_A, tenantID: 't' } });
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(503);
    expect(errorText(answer)).toBe(
      'azure identity demo/fed is a federated identity (type 3), which this NMI is not configured to serve',
    );
    expect(h.imds.tokenCalls()).toHaveLength(0);
  });

  test('a client that disconnects stops the identity wait', async () => {
    const h = await start({ realClock: true, findIdentityRetryIntervalSeconds: 0.05 });
    h.cluster.addPod(pod('app', 'demo', '127.0.0.2', { labels: { aadpodidbinding: 'app' } }));
    const http = await import('node:http');
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port: h.port,
        path: `${TOKEN}?resource=x`,
        headers: { Metadata: 'true' },
        localAddress: '127.0.0.2',
        agent: false,
      });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 120);
    });
    // The handler notices the disconnect and logs the request as aborted (499) instead of waiting 16 × 50 ms.
    const deadline = Date.now() + 2000;
    while (h.logs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(h.logs[0]?.status).toBe(499);
    expect(h.logs[0]?.errorCode).toBe('request-aborted');
  });
});
