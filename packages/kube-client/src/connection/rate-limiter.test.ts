import { describe, expect, test } from '@jest/globals';
import { FakeClock, flushMicrotasks } from '../test-support/fake-clock.js';
import { createClientRateLimiter, TokenBucketRateLimiter, unlimitedRateLimiter } from './rate-limiter.js';

function track(promise: Promise<void>): { done: boolean } {
  const state = { done: false };
  void promise.then(() => {
    state.done = true;
  });
  return state;
}

describe('TokenBucketRateLimiter', () => {
  test('lets a burst through at once and spaces the rest at 1/qps', async () => {
    const clock = new FakeClock();
    const limiter = new TokenBucketRateLimiter({ qps: 5, burst: 5, clock });
    const results = Array.from({ length: 8 }, () => track(limiter.acquire()));
    await flushMicrotasks();
    expect(results.filter((r) => r.done)).toHaveLength(5);
    expect(limiter.delayed).toBe(3);
    await clock.advance(200);
    expect(results.filter((r) => r.done)).toHaveLength(6);
    await clock.advance(200);
    expect(results.filter((r) => r.done)).toHaveLength(7);
    await clock.advance(200);
    expect(results.every((r) => r.done)).toBe(true);
  });

  test('refills while idle but never above the burst', async () => {
    const clock = new FakeClock();
    const limiter = new TokenBucketRateLimiter({ qps: 2, burst: 2, clock });
    await limiter.acquire();
    await limiter.acquire();
    await clock.advance(60_000);
    const results = Array.from({ length: 3 }, () => track(limiter.acquire()));
    await flushMicrotasks();
    expect(results.map((r) => r.done)).toEqual([true, true, false]);
    await clock.advance(500);
    expect(results[2]?.done).toBe(true);
  });

  test('rejects nonsense settings', () => {
    expect(() => new TokenBucketRateLimiter({ qps: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBucketRateLimiter({ qps: 1, burst: 0 })).toThrow(RangeError);
  });
});

describe('createClientRateLimiter (--clientQps semantics)', () => {
  test('burst defaults to qps like upstream MIC, 0 means the default 5, negative disables limiting', () => {
    const fromFlag = createClientRateLimiter({ qps: 7 });
    expect(fromFlag).toBeInstanceOf(TokenBucketRateLimiter);
    expect((fromFlag as TokenBucketRateLimiter).burst).toBe(7);
    expect((createClientRateLimiter({ qps: 0 }) as TokenBucketRateLimiter).qps).toBe(5);
    expect((createClientRateLimiter({ qps: 0.5 }) as TokenBucketRateLimiter).burst).toBe(1);
    expect((createClientRateLimiter({ qps: 5, burst: 10 }) as TokenBucketRateLimiter).burst).toBe(10);
    expect(createClientRateLimiter({ qps: -1 })).toBe(unlimitedRateLimiter);
  });
});
