import { expect, test } from '@jest/globals';
import { redactClientId } from './index.js';

test.each([
  ['00000000-1111-2222-3333-444455556666', '0000##### REDACTED #####6666'],
  ['abcdwxyz', 'abcd##### REDACTED #####wxyz'],
  ['short', '##### REDACTED #####'],
  ['', ''],
])('redactClientId(%j) = %j (§2.14)', (input, expected) => {
  expect(redactClientId(input)).toBe(expected);
});
