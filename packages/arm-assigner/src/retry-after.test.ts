import { describe, expect, test } from '@jest/globals';
import { retryAfterDeadline } from './retry-after.js';

describe('retryAfterDeadline', () => {
  const now = Date.parse('2026-11-22T20:00:00Z');

  test('integer seconds', () => {
    expect(retryAfterDeadline('30', now)).toBe(now + 30_000);
    expect(retryAfterDeadline(' 5 ', now)).toBe(now + 5_000);
  });

  test('an HTTP date in the future', () => {
    expect(retryAfterDeadline('Sun, 22 Nov 2026 20:01:00 GMT', now)).toBe(now + 60_000);
  });

  test('absent, zero, past or garbage means no back-off, as upstream', () => {
    expect(retryAfterDeadline(undefined, now)).toBeUndefined();
    expect(retryAfterDeadline('', now)).toBeUndefined();
    expect(retryAfterDeadline('0', now)).toBeUndefined();
    expect(retryAfterDeadline('Sun, 22 Nov 2026 19:00:00 GMT', now)).toBeUndefined();
    expect(retryAfterDeadline('soon', now)).toBeUndefined();
    expect(retryAfterDeadline('-5', now)).toBeUndefined();
  });
});
