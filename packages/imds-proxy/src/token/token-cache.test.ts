import { afterEach, describe, expect, test } from '@jest/globals';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { ManualClock } from '../test-support/manual-clock.js';
import { type HarnessOptions, type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';
import { type TokenSet, tokenSetOf } from './issued-token.js';
import { TokenCache } from './token-cache.js';

const MINUTE = 60_000;

function tokenExpiringAt(ms: number, label = 't'): TokenSet {
  return tokenSetOf([
    {
      accessToken: label,
      refreshToken: '',
      expiresIn: '3600',
      expiresOn: String(Math.floor(ms / 1000)),
      notBefore: '0',
      tokenType: 'Bearer',
      clientId: 'c',
    },
  ]);
}

describe('TokenCache', () => {
  test('bounded in bytes as well as entries: long keys and tokens evict the least recently used', async () => {
    const clock = new ManualClock();
    const cache = new TokenCache({ clock, maxEntries: 1000, maxBytes: 100_000 });
    const fetch = async () => tokenExpiringAt(clock.now() + 60 * MINUTE, 'x'.repeat(2000));
    await cache.get('keep', fetch);
    for (let i = 0; i < 200; i++) {
      // Each entry: a 1,000-character key (a hostile resource value) and a 2,000-character token ≈ 6 kB.
      await cache.get(`${i}`.padEnd(1000, 'r'), fetch);
      if (i % 10 === 0) cache.peek('keep', fetch);
      expect(cache.bytes).toBeLessThanOrEqual(100_000);
    }
    expect(cache.size).toBeLessThan(20);
    expect(cache.keys()).toContain('keep');
    cache.delete('keep');
    cache.clear();
    expect(cache.bytes).toBe(0);
  });

  test('a failed fetch leaves no bytes counted', async () => {
    const cache = new TokenCache({ clock: new ManualClock() });
    await expect(cache.get('k', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(cache.bytes).toBe(0);
    expect(cache.size).toBe(0);
  });

  test('single-flight: concurrent misses share one fetch', async () => {
    const clock = new ManualClock();
    const cache = new TokenCache({ clock });
    let fetches = 0;
    let release!: (value: TokenSet) => void;
    const fetch = () => {
      fetches++;
      return new Promise<TokenSet>((resolve) => {
        release = resolve;
      });
    };
    const results = Array.from({ length: 20 }, () => cache.get('k', fetch));
    release(tokenExpiringAt(clock.now() + 60 * MINUTE));
    const outcomes = (await Promise.all(results)).map((result) => result.outcome);
    expect(fetches).toBe(1);
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'joined')).toHaveLength(19);
    expect((await cache.get('k', fetch)).outcome).toBe('hit');
  });

  test('refresh-ahead: inside the window a hit returns the old token and refreshes once in the background', async () => {
    const clock = new ManualClock();
    const cache = new TokenCache({ clock, minRemainingMs: 5 * MINUTE, refreshAheadMs: 15 * MINUTE });
    let serial = 0;
    const fetch = async () => tokenExpiringAt(clock.now() + 60 * MINUTE, `t${++serial}`);
    await cache.get('k', fetch);
    clock.advance(44 * MINUTE); // 16 min left: plain hit
    expect((await cache.get('k', fetch)).value.tokens[0]?.accessToken).toBe('t1');
    expect(serial).toBe(1);
    clock.advance(2 * MINUTE); // 14 min left: hit + background refresh
    const during = await cache.get('k', fetch);
    expect(during).toMatchObject({ outcome: 'hit' });
    expect(during.value.tokens[0]?.accessToken).toBe('t1');
    await cache.get('k', fetch); // same moment: no second refresh
    await new Promise((resolve) => setImmediate(resolve));
    expect(serial).toBe(2);
    expect((await cache.get('k', fetch)).value.tokens[0]?.accessToken).toBe('t2');
  });

  test('a token with less than 5 minutes left is never served', async () => {
    const clock = new ManualClock();
    const cache = new TokenCache({ clock });
    let serial = 0;
    const fetch = async () => tokenExpiringAt(clock.now() + 10 * MINUTE, `t${++serial}`);
    await cache.get('k', fetch);
    clock.advance(5 * MINUTE + 1);
    const result = await cache.get('k', fetch);
    expect(result.outcome).toBe('miss');
    expect(result.value.tokens[0]?.accessToken).toBe('t2');
  });

  test('failures are not cached, and a failed background refresh keeps serving the old token', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const cache = new TokenCache({ clock, onBackgroundRefreshError: (_key, error) => errors.push(error) });
    await expect(cache.get('k', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(cache.size).toBe(0);
    await cache.get('k', async () => tokenExpiringAt(clock.now() + 60 * MINUTE, 'good'));
    clock.advance(50 * MINUTE);
    const result = await cache.get('k', async () => Promise.reject(new Error('blip')));
    await new Promise((resolve) => setImmediate(resolve));
    expect(result.value.tokens[0]?.accessToken).toBe('good');
    expect(errors).toHaveLength(1);
    expect((await cache.get('k', async () => tokenExpiringAt(0))).value.tokens[0]?.accessToken).toBe('good');
  });

  test('LRU: size is bounded and the least recently used key goes first', async () => {
    const clock = new ManualClock();
    const cache = new TokenCache({ clock, maxEntries: 3 });
    const fetch = async () => tokenExpiringAt(clock.now() + 60 * MINUTE);
    for (const key of ['a', 'b', 'c']) await cache.get(key, fetch);
    await cache.get('a', fetch); // a is now most recent
    await cache.get('d', fetch);
    expect(cache.size).toBe(3);
    expect(cache.keys()).toEqual(['c', 'a', 'd']);
  });
});

describe('token cache in the server', () => {
  const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';
  const TOKEN = '/metadata/identity/oauth2/token?resource=x';
  let harness: NmiHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(options: HarnessOptions = {}) {
    harness = await startNmiHarness({ retryAttemptsForCreated: 1, ...options });
    const app = harness.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    harness.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
    harness.imds.assigned.add(CLIENT_A);
    return { h: harness, app };
  }

  test('N concurrent requests → 1 upstream call, all get the same token', async () => {
    const { h } = await start();
    h.imds.hold();
    const pending = Array.from({ length: 25 }, () => h.get('127.0.0.2', TOKEN));
    while (h.imds.tokenCalls().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    h.imds.release();
    const answers = await Promise.all(pending);
    expect(h.imds.tokenCalls()).toHaveLength(1);
    expect(new Set(answers.map((a) => JSON.parse(a.body).access_token)).size).toBe(1);
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });

  test('cold burst from several pods over several resources: one upstream call per identity × resource', async () => {
    const { h } = await start();
    const clients = ['bbbbbbbb-0000-0000-0000-000000000001', 'cccccccc-0000-0000-0000-000000000002'];
    clients.forEach((client, index) => {
      const p = h.cluster.addPod(pod(`p${index}`, 'demo', `127.0.0.${3 + index}`));
      h.cluster.assign(p, msiIdentity(`id${index}`, 'demo', client));
      h.imds.assigned.add(client);
    });
    h.imds.hold();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const from = `127.0.0.${2 + (i % 3)}`;
      pending.push(h.get(from, `/metadata/identity/oauth2/token?resource=r${i % 2}`));
    }
    while (h.imds.tokenCalls().length < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    h.imds.release();
    await Promise.all(pending);
    // 3 identities × 2 resources.
    expect(h.imds.tokenCalls()).toHaveLength(6);
  });

  test('refresh-ahead with the injected clock; expires_in of a cached answer counts down', async () => {
    const { h } = await start();
    h.imds.lifetimeSeconds = 3600;
    const first = JSON.parse((await h.get('127.0.0.2', TOKEN)).body);
    h.clock.advance(10 * MINUTE);
    const cached = JSON.parse((await h.get('127.0.0.2', TOKEN)).body);
    expect(cached.access_token).toBe(first.access_token);
    expect(cached.expires_in).toBe(String(3600 - 600));
    expect(h.imds.tokenCalls()).toHaveLength(1);
    h.clock.advance(40 * MINUTE); // 10 min left: served from cache, refreshed behind
    const stillOld = JSON.parse((await h.get('127.0.0.2', TOKEN)).body);
    expect(stillOld.access_token).toBe(first.access_token);
    while (h.imds.tokenCalls().length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refreshed = JSON.parse((await h.get('127.0.0.2', TOKEN)).body);
    expect(refreshed.access_token).not.toBe(first.access_token);
    expect(h.imds.tokenCalls()).toHaveLength(2);
  });

  test('revocation is checked before the cache: a pod that lost its binding gets 404, not the cached token', async () => {
    const { h, app } = await start();
    expect((await h.get('127.0.0.2', TOKEN)).status).toBe(200);
    expect(h.nmi.tokenCache?.size).toBe(1);
    h.cluster.unassign(app);
    const answer = await h.get('127.0.0.2', TOKEN);
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('imds.');
    h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A), 'Unassigned');
    expect((await h.get('127.0.0.2', TOKEN)).status).toBe(404);
  });

  test('tokenCache: false restores upstream behaviour (every request goes to IMDS)', async () => {
    const { h } = await start({ tokenCache: false });
    for (let i = 0; i < 3; i++) expect((await h.get('127.0.0.2', TOKEN)).status).toBe(200);
    expect(h.imds.tokenCalls()).toHaveLength(3);
    expect(h.logs.map((entry) => entry.cache)).toEqual(['bypass', 'bypass', 'bypass']);
  });

  test('eviction bound in the server: maxEntries caps distinct resources', async () => {
    const { h } = await start({ tokenCache: { maxEntries: 2 } });
    for (const resource of ['r1', 'r2', 'r3', 'r1']) {
      await h.get('127.0.0.2', `/metadata/identity/oauth2/token?resource=${resource}`);
    }
    expect(h.nmi.tokenCache?.size).toBe(2);
    // r1 was evicted by r3, so its second request went upstream again.
    expect(h.imds.tokenCalls().map((call) => call.resource)).toEqual(['r1', 'r2', 'r3', 'r1']);
  });
});
