import http from 'node:http';
import { afterEach, describe, expect, test } from '@jest/globals';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { type HttpAnswer, METADATA } from '../test-support/http-client.js';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';
import { CallerSlots } from './caller-slots.js';

const TOKEN = '/metadata/identity/oauth2/token?resource=https://vault.azure.net';
const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';

let harness: NmiHarness | undefined;
const open = new Set<http.ClientRequest>();
afterEach(async () => {
  for (const request of open) request.destroy();
  open.clear();
  await harness?.close();
  harness = undefined;
});

/** A request that stays open until the test ends (or answers sooner). */
function send(port: number, from: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: TOKEN, headers: METADATA, agent: false, localAddress: from },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    request.on('error', reject);
    open.add(request);
    request.end();
  });
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('waiting token requests are bounded per pod and per node (issue 14)', () => {
  test('beyond the per-pod bound a pod gets 429 + Retry-After at once; other pods are unaffected', async () => {
    // A real clock and a long retry interval: requests for the unassigned pod really wait.
    const h = await startNmiHarness({
      realClock: true,
      findIdentityRetryIntervalSeconds: 600,
      maxWaitingRequestsPerPod: 5,
    });
    harness = h;
    h.cluster.addPod(pod('unbound', 'demo', '127.0.0.5', { labels: { aadpodidbinding: 'nothing' } }));
    const bound = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    h.cluster.assign(bound, msiIdentity('id-a', 'demo', CLIENT_A));
    h.imds.assigned.add(CLIENT_A);

    for (let i = 0; i < 5; i++) send(h.port, '127.0.0.5').catch(() => undefined);
    await until(() => h.nmi.waitingRequests.requests === 5);
    const refused = await Promise.all(Array.from({ length: 20 }, () => send(h.port, '127.0.0.5')));
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.body).toContain('too many token requests from this pod are waiting');
    }
    expect(h.nmi.waitingRequests).toEqual({ requests: 5, callers: 1 });
    // Another pod still gets its token, through the slow path (first request, cache empty) and the fast path.
    expect((await send(h.port, '127.0.0.2')).status).toBe(200);
    expect((await send(h.port, '127.0.0.2')).status).toBe(200);
  });

  test('a waiting request whose client leaves frees its slot; nothing is kept for callers that have none', async () => {
    const h = await startNmiHarness({
      realClock: true,
      findIdentityRetryIntervalSeconds: 600,
      maxWaitingRequestsPerPod: 2,
    });
    harness = h;
    h.cluster.addPod(pod('unbound', 'demo', '127.0.0.5', { labels: { aadpodidbinding: 'x' } }));
    send(h.port, '127.0.0.5').catch(() => undefined);
    send(h.port, '127.0.0.5').catch(() => undefined);
    await until(() => h.nmi.waitingRequests.requests === 2);
    expect((await send(h.port, '127.0.0.5')).status).toBe(429);
    for (const request of open) request.destroy();
    open.clear();
    await until(() => h.nmi.waitingRequests.requests === 0);
    expect(h.nmi.waitingRequests).toEqual({ requests: 0, callers: 0 });
    send(h.port, '127.0.0.5').catch(() => undefined);
    await until(() => h.nmi.waitingRequests.requests === 1);
  });

  test('the node-wide bound holds across pods', async () => {
    const h = await startNmiHarness({
      realClock: true,
      findIdentityRetryIntervalSeconds: 600,
      maxWaitingRequestsPerPod: 10,
      maxWaitingRequests: 3,
    });
    harness = h;
    for (const [index, ip] of ['127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8'].entries()) {
      h.cluster.addPod(pod(`unbound-${index}`, 'demo', ip, { labels: { aadpodidbinding: 'x' } }));
      if (index < 3) send(h.port, ip).catch(() => undefined);
    }
    await until(() => h.nmi.waitingRequests.requests === 3);
    expect((await send(h.port, '127.0.0.8')).status).toBe(429);
  });
});

test('CallerSlots never holds an entry for a caller with nothing waiting', () => {
  const waiting = new CallerSlots(2, 3);
  expect(waiting.tryEnter('a')).toBe(true);
  expect(waiting.tryEnter('a')).toBe(true);
  expect(waiting.tryEnter('a')).toBe(false);
  expect(waiting.tryEnter('b')).toBe(true);
  expect(waiting.tryEnter('c')).toBe(false);
  waiting.leave('a');
  waiting.leave('a');
  waiting.leave('a');
  expect(waiting.size).toEqual({ requests: 1, callers: 1 });
});

describe('connections per caller address are bounded (issue 14 review)', () => {
  test('beyond the bound a new connection is closed at once; other pods and later connections are unaffected', async () => {
    const h = await startNmiHarness({ maxConnectionsPerPod: 3 });
    harness = h;
    const net = await import('node:net');
    const openFrom = (localAddress: string) =>
      new Promise<import('node:net').Socket>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: h.port, localAddress }, () => resolve(socket));
        socket.on('error', reject);
      });
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await openFrom('127.0.0.5'));
    await until(() => h.nmi.openConnections.requests === 3);
    const extra = await openFrom('127.0.0.5');
    await new Promise((resolve) => extra.once('close', resolve));
    expect(h.nmi.openConnections).toEqual({ requests: 3, callers: 1 });
    // Another address still connects and is served.
    const other = await h.get('127.0.0.6', '/metadata/instance');
    expect(other.status).toBeLessThan(500);
    for (const socket of held) socket.destroy();
    await until(() => h.nmi.openConnections.requests === 0);
    expect((await h.get('127.0.0.5', '/metadata/instance')).status).toBeLessThan(500);
  });
});
