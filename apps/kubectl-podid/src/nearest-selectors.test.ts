import { describe, expect, test } from '@jest/globals';
import type { AzureIdentityBinding } from '@podid/crd-types';
import { editDistance, nearestSelectors } from './nearest-selectors.js';

const binding = (name: string, selector: string, namespace = 'default'): AzureIdentityBinding => ({
  metadata: { name, namespace },
  spec: { azureIdentity: 'id', selector },
});

describe('editDistance', () => {
  test.each([
    ['', '', 0],
    ['web', 'web', 0],
    ['web', 'Web', 1],
    ['web', 'wbe', 2],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('%j → %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('nearestSelectors', () => {
  test('case-only differences first, then by distance; exact matches and far selectors left out; at most 3', () => {
    const bindings = [
      binding('exact', 'frontend'),
      binding('far', 'database'),
      binding('one-off', 'frontand'),
      binding('case', 'FrontEnd'),
      binding('two-off', 'frontnd-x'),
      binding('also-one', 'frontends'),
    ];
    expect(
      nearestSelectors('frontend', bindings).map((m) => [m.binding.name, m.distance, m.caseInsensitiveMatch]),
    ).toEqual([
      ['case', 2, true],
      ['one-off', 1, false],
      ['also-one', 1, false],
    ]);
  });

  test('nothing close: an empty list', () => {
    expect(nearestSelectors('payments', [binding('b', 'web')])).toEqual([]);
  });
});
