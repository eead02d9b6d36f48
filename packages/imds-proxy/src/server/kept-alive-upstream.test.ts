import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import { FakeCluster } from '../test-support/fake-cluster.js';
import { type FlakyKeepAliveServer, startFlakyKeepAliveServer } from '../test-support/flaky-keep-alive-server.js';
import { ManualClock } from '../test-support/manual-clock.js';
import { createImdsTokenClient } from '../token/imds-token-client.js';
import { type NmiServer, createNmiServer } from './nmi-server.js';

/**
 * Issue 15 item 2: IMDS closing kept-alive connections must not turn into 500s (pass-through) or into a backoff
 * wait (token client). The request loops are bounded: 10,000 requests each, 16 (resp. 5) at a time.
 */
const REQUESTS = 10_000;
let upstream: FlakyKeepAliveServer | undefined;
let nmi: NmiServer | undefined;
afterEach(async () => {
  await nmi?.close();
  await upstream?.close();
  nmi = undefined;
  upstream = undefined;
});

/** Runs `count` calls of `one`, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, one: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

function get(port: number, agent: http.Agent, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { Metadata: 'true' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

function startNmi(imdsBaseUrl: string): Promise<AddressInfo> {
  const cluster = new FakeCluster();
  nmi = createNmiServer({
    pods: cluster.podLookup,
    exceptions: cluster.exceptionLookup,
    identities: cluster.standard,
    secrets: cluster.secretLookup,
    imdsBaseUrl,
  });
  return nmi.listen(0, '127.0.0.1');
}

describe('kept-alive connections to IMDS', () => {
  test(`${REQUESTS} proxied requests while IMDS closes idle connections at random: no 500`, async () => {
    upstream = await startFlakyKeepAliveServer(0.05);
    const { port } = await startNmi(upstream.baseUrl);
    const client = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const statuses = new Map<number, number>();
    try {
      await inParallel(REQUESTS, 16, async () => {
        const status = await get(port, client, '/metadata/instance?api-version=2021-02-01');
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      });
    } finally {
      client.destroy();
    }
    expect(upstream.closedIdle).toBeGreaterThan(100);
    expect(Object.fromEntries(statuses)).toEqual({ 200: REQUESTS });
  }, 120_000);

  test(`${REQUESTS} token calls while IMDS closes idle connections at random: none fails, none waits`, async () => {
    upstream = await startFlakyKeepAliveServer(0.05);
    const clock = new ManualClock(Date.now());
    // One attempt only: a dropped connection must be resent at once, not counted as a failed attempt.
    const imds = createImdsTokenClient({ baseUrl: upstream.baseUrl, clock, maxAttempts: 1 });
    const signal = new AbortController().signal;
    let failures = 0;
    try {
      await inParallel(REQUESTS, 5, async () => {
        await imds.getToken({ resource: 'r', clientId: 'c' }, signal).catch(() => failures++);
      });
    } finally {
      imds.close();
    }
    expect(upstream.closedIdle).toBeGreaterThan(100);
    expect(failures).toBe(0);
    expect(clock.sleeps).toEqual([]);
  }, 120_000);

  test("a server's Keep-Alive timeout hint is honoured: no reuse of a connection it is about to close", async () => {
    const server = http.createServer({ keepAlive: true }, (_req, res) => res.end('{}'));
    // Node's server announces `Keep-Alive: timeout=2` and closes idle connections after 2 s.
    server.keepAliveTimeout = 2000;
    let connections = 0;
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port: imdsPort } = server.address() as AddressInfo;
      const { port } = await startNmi(`http://127.0.0.1:${imdsPort}`);
      const client = new http.Agent({ keepAlive: true });
      try {
        expect(await get(port, client, '/metadata/instance')).toBe(200);
        // Past the hint less NMI's one-second margin, before the server's own close.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(await get(port, client, '/metadata/instance')).toBe(200);
      } finally {
        client.destroy();
      }
      expect(connections).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
