import { describe, expect, test } from '@jest/globals';
import { parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  test.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['250', 250],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  test.each(['', '5 seconds', '-1s', 's', '1h'])('%j is refused with a code', (text) => {
    expect(() => parseDurationMs(text)).toThrow(expect.objectContaining({ code: 'invalid_duration' }));
  });
});
