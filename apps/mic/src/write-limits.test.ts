import { describe, expect, test } from '@jest/globals';
import { WriteBackoff } from './write-backoff.js';
import { WriteLimit } from './write-limit.js';

describe('WriteLimit', () => {
  test('never more than the limit in flight, over any number of callers; every task runs', async () => {
    const limit = new WriteLimit(4);
    let inFlight = 0;
    let max = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        limit.run(async () => {
          inFlight++;
          max = Math.max(max, inFlight);
          await new Promise((resolve) => setTimeout(resolve, i % 3));
          inFlight--;
          done++;
        }),
      ),
    );
    expect(max).toBe(4);
    expect(done).toBe(50);
  });

  test('a failing task frees its slot', async () => {
    const limit = new WriteLimit(1);
    await expect(limit.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('WriteBackoff', () => {
  test('1 s doubling to the cap after each failure; a success forgets the object', () => {
    let now = 0;
    const backoff = new WriteBackoff(() => now, 1000, 8000);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      backoff.failed('a');
      waits.push(backoff.nextReadyInMs() ?? -1);
      expect(backoff.ready('a')).toBe(false);
      now += waits.at(-1) as number;
      expect(backoff.ready('a')).toBe(true);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoff.ready('b')).toBe(true);
    backoff.succeeded('a');
    expect(backoff.nextReadyInMs()).toBeUndefined();
  });
});
