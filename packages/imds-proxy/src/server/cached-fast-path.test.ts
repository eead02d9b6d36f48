import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, test } from '@jest/globals';
import { FakeCluster, exception, msiIdentity, pod } from '../test-support/fake-cluster.js';
import { type HarnessOptions, type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

const VAULT_TOKEN = `/metadata/identity/oauth2/token?resource=${encodeURIComponent('https://vault.azure.net')}`;
const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';

let harness: NmiHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface DirectAnswer {
  status: number;
  headers: Record<string, string | number>;
  body: string;
}

/**
 * Calls the server's request listener directly with a minimal request and response, so a test can tell whether
 * the answer was written before the listener returned (the synchronous fast path) or later (the full path).
 */
function handleDirectly(h: NmiHarness, from: string, url: string) {
  let answer: DirectAnswer | undefined;
  let settle: (value: DirectAnswer) => void = () => {};
  const done = new Promise<DirectAnswer>((resolve) => {
    settle = resolve;
  });
  let status = 0;
  let headers: Record<string, string | number> = {};
  const res = {
    headersSent: false,
    destroyed: false,
    writableFinished: false,
    on: () => res,
    writeHead(code: number, head: Record<string, string | number>) {
      status = code;
      headers = head;
      res.headersSent = true;
      return res;
    },
    end(body: string) {
      res.writableFinished = true;
      answer = { status, headers, body };
      settle(answer);
    },
  };
  const req = { url, method: 'GET', headers: { metadata: 'true' }, socket: { remoteAddress: from } };
  h.nmi.handle(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  return { answeredBeforeReturn: answer !== undefined, done };
}

async function startWithCachedToken(options: HarnessOptions = {}) {
  harness = await startNmiHarness(options);
  const h = harness;
  const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2', { labels: { aadpodidbinding: 'app' } }));
  h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
  h.imds.assigned.add(CLIENT_A);
  const first = await h.get('127.0.0.2', VAULT_TOKEN);
  expect(first.status).toBe(200);
  return { h, app, first };
}

describe('cached-token fast path', () => {
  test('a cached token is answered before the listener returns when every lookup answers from memory', async () => {
    const { h, first } = await startWithCachedToken();
    const direct = handleDirectly(h, '127.0.0.2', VAULT_TOKEN);
    expect(direct.answeredBeforeReturn).toBe(true);
    const answer = await direct.done;
    expect(answer.status).toBe(200);
    expect(answer.headers['Content-Type']).toBe('application/json');
    expect(answer.body).toBe(first.body);
    expect(h.imds.tokenCalls()).toHaveLength(1);
    // Reported like any other request: pod, identity, redacted client ID, cache hit.
    expect(h.logs.at(-1)).toMatchObject({
      status: 200,
      route: '/metadata/identity/oauth2/token',
      podNamespace: 'demo',
      podName: 'app',
      identity: 'demo/id-a',
      cache: 'hit',
    });
    expect(h.logs.at(-1)?.clientId).not.toBe(CLIENT_A);
  });

  test('lookups answered by promise take the full path, with the same answer', async () => {
    // Pods come from a lookup that answers by promise, as one backed by API calls would.
    const podSource = new FakeCluster();
    harness = await startNmiHarness({
      pods: {
        podsByIp: async (ip) => podSource.podLookup.podsByIp(ip),
        podByName: async (namespace, name) => podSource.podLookup.podByName(namespace, name),
      },
    });
    const slow = harness;
    const app = podSource.addPod(pod('app', 'demo', '127.0.0.2'));
    slow.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
    slow.imds.assigned.add(CLIENT_A);
    const first = await slow.get('127.0.0.2', VAULT_TOKEN);
    expect(first.status).toBe(200);
    const direct = handleDirectly(slow, '127.0.0.2', VAULT_TOKEN);
    expect(direct.answeredBeforeReturn).toBe(false);
    const answer = await direct.done;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(first.body);
    await new Promise((resolve) => setImmediate(resolve)); // the report follows the answer
    expect(slow.logs.at(-1)).toMatchObject({ status: 200, cache: 'hit' });
    expect(slow.imds.tokenCalls()).toHaveLength(1);
  });

  test('an unassigned pod is refused although its token is cached', async () => {
    const { h, app } = await startWithCachedToken({ retryAttemptsForCreated: 1, retryAttemptsForAssigned: 0 });
    h.cluster.unassign(app);
    const direct = handleDirectly(h, '127.0.0.2', VAULT_TOKEN);
    expect(direct.answeredBeforeReturn).toBe(false);
    const answer = await direct.done;
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('access_token');
  });

  test('a pod whose identity is back to Created waits in the full path instead of being served', async () => {
    const { h, app } = await startWithCachedToken({ retryAttemptsForCreated: 1, retryAttemptsForAssigned: 1 });
    h.cluster.setStatus(app, 'Created');
    const direct = handleDirectly(h, '127.0.0.2', VAULT_TOKEN);
    expect(direct.answeredBeforeReturn).toBe(false);
    expect((await direct.done).status).toBe(404);
  });

  test('a pod that became an exception gets the node token from IMDS, not the cached identity token', async () => {
    const { h } = await startWithCachedToken();
    h.cluster.exceptions.push(exception('all-apps', 'demo', { aadpodidbinding: 'app' }));
    const direct = handleDirectly(h, '127.0.0.2', VAULT_TOKEN);
    expect(direct.answeredBeforeReturn).toBe(false);
    const answer = await direct.done;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).access_token).toMatch(/^imds\.system\./);
  });

  test('two live pods claiming the caller address are not served from the cache', async () => {
    const { h } = await startWithCachedToken({ podLookupAttempts: 1 });
    h.cluster.addPod(pod('impostor', 'other', '127.0.0.2'));
    const direct = handleDirectly(h, '127.0.0.2', VAULT_TOKEN);
    expect(direct.answeredBeforeReturn).toBe(false);
    const answer = await direct.done;
    expect(answer.status).toBe(500);
    expect(answer.body).toContain('failed to match pod IP 127.0.0.2');
  });

  test('without the Metadata header the full path answers 400, cached token or not', async () => {
    const { h } = await startWithCachedToken();
    const answer = await h.get('127.0.0.2', VAULT_TOKEN, {});
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('Required metadata header not specified');
  });
});
