import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeEmulator } from '@podid/kube-emulator';
import { createCrdClients } from '../crd/crd-clients.js';
import { EventRecorder } from '../events/event-recorder.js';
import { createPodInformer } from '../informer/typed-informers.js';
import { LeaseLock } from '../leader-election/lease-lock.js';
import { FakeClock } from '../test-support/fake-clock.js';
import { connectTo, eventually, startEmulatorWithCrds, TEST_USER_AGENT } from '../test-support/emulator-harness.js';
import { startRecordingProxy } from '../test-support/recording-proxy.js';
import { createKubeConfig } from './kube-config.js';
import { connectionPoolsOf, createKubeConnection } from './kube-connection.js';
import { TokenBucketRateLimiter } from './rate-limiter.js';
import { formatUserAgent } from './user-agent.js';

let emulator: KubeEmulator;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;

beforeAll(async () => {
  emulator = await startEmulatorWithCrds(['ua']);
  proxy = await startRecordingProxy(emulator.url);
});
afterAll(async () => {
  await proxy.close();
  await emulator.close();
});

describe('formatUserAgent', () => {
  test('upstream layout, custom suffix after a space', () => {
    expect(formatUserAgent({ component: 'NMI', version: '1.2.3', gitCommit: 'c0ffee', buildDate: '2026-01-02' })).toBe(
      'podid/NMI/1.2.3/c0ffee/2026-01-02',
    );
    expect(formatUserAgent({ component: 'MIC', version: '1.2.3', customUserAgent: 'corp-build' })).toBe(
      'podid/MIC/1.2.3/unknown/unknown corp-build',
    );
  });
});

describe('KubeConnection request policy', () => {
  test('every request — CRD calls, list, watch, Lease, Event — carries the podid user agent', async () => {
    const connection = connectTo(emulator, { url: proxy.url });
    proxy.requests.length = 0;
    const { identities } = createCrdClients({ connection });
    await identities.list({ namespace: 'ua' });
    const pods = createPodInformer({ connection, nodeName: 'node-1' });
    pods.start();
    await pods.synced;
    await eventually(() => proxy.requests.some((r) => r.url.includes('watch=true')), 'watch request');
    await pods.stop();
    await new LeaseLock(connection, 'ua', 'ua-lock').get();
    const recorder = new EventRecorder({ connection });
    recorder.normal({ kind: 'Pod', namespace: 'ua', name: 'p' }, 'binding applied', 'hello');
    await recorder.flush();

    const kinds = ['/azureidentities', '/api/v1/pods?', 'watch=true', '/leases/', '/events'];
    for (const fragment of kinds) expect(proxy.requests.some((r) => r.url.includes(fragment))).toBe(true);
    expect(new Set(proxy.requests.map((r) => r.userAgent))).toEqual(new Set([TEST_USER_AGENT]));
  });

  test('API calls share keep-alive connections instead of opening one per request', async () => {
    const connection = connectTo(emulator, { url: proxy.url });
    const { identities } = createCrdClients({ connection });
    const before = proxy.connections();
    for (let i = 0; i < 20; i++) await identities.list({ namespace: 'ua' });
    // Twenty calls one after another reuse a socket or two (client-node alone opens twenty).
    expect(proxy.connections() - before).toBeLessThanOrEqual(2);
    const afterSequential = proxy.connections();
    await Promise.all(Array.from({ length: 10 }, () => identities.list({ namespace: 'ua' })));
    await Promise.all(Array.from({ length: 10 }, () => identities.list({ namespace: 'ua' })));
    // Ten at once need at most ten sockets, and the next ten reuse them.
    expect(proxy.connections() - afterSequential).toBeLessThanOrEqual(10);
  });

  test('one connection pool per TLS configuration, shared by connections from one config; a rotated one gets its own', () => {
    const kubeConfig = createKubeConfig({ server: { url: 'https://api.example:6443', token: 't' } });
    createKubeConnection({ kubeConfig, userAgent: TEST_USER_AGENT, qps: -1 });
    createKubeConnection({ kubeConfig, userAgent: TEST_USER_AGENT, qps: 5 });
    const pools = connectionPoolsOf(kubeConfig);
    const url = new URL(kubeConfig.server);
    const tls = (ca: string) => ({ ca: Buffer.from(ca), rejectUnauthorized: true });
    const first = pools.agentFor(url, tls('ca-1'));
    expect(pools.agentFor(url, tls('ca-1'))).toBe(first);
    expect(pools.agentFor(url, tls('ca-2'))).not.toBe(first);
    expect(connectionPoolsOf(createKubeConfig({ server: { url: 'https://api.example:6443' } }))).not.toBe(pools);
    pools.destroy();
  });

  test('the QPS limiter holds back requests beyond the burst until tokens refill', async () => {
    const clock = new FakeClock();
    const rateLimiter = new TokenBucketRateLimiter({ qps: 2, burst: 3, clock });
    const connection = connectTo(emulator, { url: proxy.url, rateLimiter });
    const { identities } = createCrdClients({ connection });
    proxy.requests.length = 0;
    let completed = 0;
    const calls = Array.from({ length: 6 }, () => identities.list({ namespace: 'ua' }).then(() => completed++));

    await eventually(() => completed === 3, 'the burst to complete');
    // Real time passes, fake time does not: nothing more may reach the server until the clock moves.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(proxy.requests).toHaveLength(3);
    expect(rateLimiter.delayed).toBe(3);

    await clock.advance(500); // one token at 2 QPS
    await eventually(() => completed === 4, 'the fourth request');
    expect(proxy.requests).toHaveLength(4);
    await clock.advance(1000);
    await Promise.all(calls);
    expect(proxy.requests).toHaveLength(6);
  });
});
