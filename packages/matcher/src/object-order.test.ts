import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { compareObjects, sortObjects } from './object-order.js';

interface Item {
  readonly metadata: { namespace?: string; name: string; uid?: string; resourceVersion?: string };
  readonly extra: string;
}

// Few distinct values, so that equal namespaces, names and complete ties are common.
const text = fc.constantFrom('', 'a', 'b', 'a-b', 'a/b', 'B', 'é');
const item: fc.Arbitrary<Item> = fc
  .record({
    namespace: fc.option(text, { nil: undefined }),
    name: text,
    uid: fc.option(text, { nil: undefined }),
    resourceVersion: fc.option(fc.constantFrom('1', '2'), { nil: undefined }),
    extra: fc.constantFrom('x', 'y', 'z'),
  })
  .map(({ extra, ...metadata }) => ({
    metadata: Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== undefined)) as Item['metadata'],
    extra,
  }));

describe('sortObjects', () => {
  test('property: the order of one stable sort by compareObjects, then the tie-break', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 30 }), fc.boolean(), (items, withTieBreak) => {
        const tieBreak = withTieBreak ? (i: Item) => i.extra : undefined;
        const byExtra = (a: Item, b: Item): number => (a.extra < b.extra ? -1 : a.extra > b.extra ? 1 : 0);
        const expected = [...items].sort((a, b) => compareObjects(a, b) || (withTieBreak ? byExtra(a, b) : 0));
        const sorted = sortObjects(items, tieBreak);
        // Same objects in the same positions (identity, not just equal values: ties must keep input order).
        expect(sorted.length).toBe(expected.length);
        sorted.forEach((object, index) => {
          expect(object).toBe(expected[index]);
        });
      }),
      { numRuns: 500 },
    );
  });

  test('an absent namespace sorts as the empty one', () => {
    const none = { metadata: { name: 'z' } };
    const empty = { metadata: { namespace: '', name: 'a' } };
    const named = { metadata: { namespace: 'a', name: 'a' } };
    expect(sortObjects([named, none, empty])).toEqual([empty, none, named]);
  });
});
