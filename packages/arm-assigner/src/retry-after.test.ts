import { describe, expect, test } from '@jest/globals';
import { parseRetryAfter, RETRY_AFTER_CAP_MS, retryAfterDeadline, retryAfterNote } from './retry-after.js';

const now = Date.parse('2026-11-22T20:00:00Z'); // a Sunday

describe('parseRetryAfter: RFC 9110 forms only, capped', () => {
  test.each([
    ['delta-seconds', '30', now + 30_000],
    ['delta-seconds with surrounding whitespace', ' \t5 ', now + 5_000],
    ['leading zeros', '007', now + 7_000],
    ['IMF-fixdate in the future', 'Sun, 22 Nov 2026 20:01:00 GMT', now + 60_000],
    ['IMF-fixdate on another day', 'Mon, 23 Nov 2026 00:00:00 GMT', now + RETRY_AFTER_CAP_MS],
  ])('%s: %j waits', (_name, value, deadline) => {
    expect(retryAfterDeadline(value, now)).toBe(deadline);
  });

  test.each([
    ['absent', undefined],
    ['null', null],
    ['empty', ''],
    ['zero', '0'],
    ['an IMF-fixdate in the past', 'Sun, 22 Nov 2026 19:00:00 GMT'],
    ['an IMF-fixdate now', 'Sun, 22 Nov 2026 20:00:00 GMT'],
  ])('%s: no wait, nothing to say', (_name, value) => {
    const parsed = parseRetryAfter(value, now);
    expect(parsed).toEqual({ kind: 'none' });
    expect(retryAfterNote(parsed)).toBeUndefined();
  });

  test.each([
    ['a word', 'soon'],
    ['negative', '-5'],
    ['fractional', '1.5'],
    ['signed', '+5'],
    ['digits and text', '5 seconds'],
    ['ISO 8601 (Date.parse reads it)', '2026-11-22T20:01:00Z'],
    ['RFC 850 (obsolete)', 'Sunday, 22-Nov-26 20:01:00 GMT'],
    ['asctime (obsolete)', 'Sun Nov 22 20:01:00 2026'],
    ['a time zone other than GMT', 'Sun, 22 Nov 2026 20:01:00 +0000'],
    ['lower-case month', 'Sun, 22 nov 2026 20:01:00 GMT'],
    ['a wrong weekday', 'Mon, 22 Nov 2026 20:01:00 GMT'],
    ['an impossible date', 'Mon, 31 Nov 2026 20:01:00 GMT'],
    ['a one-digit day', 'Sun, 2 Nov 2026 20:01:00 GMT'],
    ['a year 275760 date Date.parse would take', 'Tue, 13 Sep 275760 00:00:00 GMT'],
  ])('%s: ignored and reported', (_name, value) => {
    const parsed = parseRetryAfter(value, now);
    expect(parsed.kind).toBe('ignored');
    expect(retryAfterDeadline(value, now)).toBeUndefined();
    expect(retryAfterNote(parsed)).toBe(
      `ignored Retry-After ${JSON.stringify(value)}: not delta-seconds or an IMF-fixdate (RFC 9110)`,
    );
  });

  test('a long wait is capped at 5 minutes and the cap is reported', () => {
    for (const value of ['86400', '9'.repeat(400), 'Fri, 01 Jan 2100 00:00:00 GMT']) {
      const parsed = parseRetryAfter(value, now);
      expect(parsed).toEqual({ kind: 'wait', deadline: now + RETRY_AFTER_CAP_MS, capped: true });
      expect(retryAfterNote(parsed)).toBe('Retry-After capped at 300 s');
    }
    expect(RETRY_AFTER_CAP_MS).toBe(300_000);
  });

  test('an ignored value is cut to 64 characters in the report', () => {
    const parsed = parseRetryAfter(`x${'y'.repeat(500)}`, now);
    expect(parsed.kind === 'ignored' && parsed.value.length).toBe(64);
  });
});
