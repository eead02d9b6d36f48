import { describe, expect, test } from '@jest/globals';
import { boundedMemo } from './bounded-memo.js';

describe('boundedMemo', () => {
  test('computes once per input and never holds more than its capacity', () => {
    let calls = 0;
    const memo = boundedMemo((input: string) => {
      calls++;
      return { input };
    }, 3);
    const first = memo('a');
    expect(memo('a')).toBe(first);
    expect(calls).toBe(1);
    for (const input of ['b', 'c', 'd', 'e']) memo(input);
    expect(calls).toBe(5);
    // 'a' was dropped when the memo filled up: computed again.
    expect(memo('a')).not.toBe(first);
    expect(calls).toBe(6);
  });
});

test('inputs longer than maxInputLength are computed every time and never remembered', () => {
  let calls = 0;
  const memo = boundedMemo(
    (input: string) => {
      calls++;
      return input.length;
    },
    { capacity: 10, maxInputLength: 4 },
  );
  memo('short');
  memo('short');
  expect(calls).toBe(2);
  memo('ok');
  memo('ok');
  expect(calls).toBe(3);
});
