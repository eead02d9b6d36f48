import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { IndexedCache } from './indexed-cache.js';

interface Item {
  name: string;
  ips: string[];
}

describe('IndexedCache', () => {
  test('indexes follow replacements and deletions', () => {
    const cache = new IndexedCache<Item, 'byIP'>({ byIP: (item) => item.ips });
    cache.set('ns/a', { name: 'a', ips: ['1', '2'] }, '1');
    cache.set('ns/b', { name: 'b', ips: ['2'] }, '1');
    expect(
      cache
        .byIndex('byIP', '2')
        .map((i) => i.name)
        .sort(),
    ).toEqual(['a', 'b']);
    cache.set('ns/a', { name: 'a', ips: ['3'] }, '2');
    expect(cache.byIndex('byIP', '1')).toEqual([]);
    expect(cache.byIndex('byIP', '2').map((i) => i.name)).toEqual(['b']);
    expect(cache.resourceVersionOf('ns/a')).toBe('2');
    expect(cache.delete('ns/b')?.name).toBe('b');
    expect(cache.byIndex('byIP', '2')).toEqual([]);
    expect(cache.get('ns', 'a')?.ips).toEqual(['3']);
  });

  test('after any sequence of writes, every index equals a recomputation from the entries', () => {
    const op = fc.record({
      key: fc.constantFrom('a', 'b', 'c', 'd'),
      ips: fc.array(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'), { maxLength: 3 }),
      remove: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const cache = new IndexedCache<Item, 'byIP'>({ byIP: (item) => item.ips });
        for (const { key, ips, remove } of ops) {
          if (remove) cache.delete(key);
          else cache.set(key, { name: key, ips }, '1');
        }
        for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
          const expected = cache
            .list()
            .filter((item) => item.ips.includes(ip))
            .map((item) => item.name)
            .sort();
          expect(
            cache
              .byIndex('byIP', ip)
              .map((item) => item.name)
              .sort(),
          ).toEqual(expected);
        }
      }),
    );
  });
});
