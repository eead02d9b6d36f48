import { describe, expect, test } from '@jest/globals';
import { createValueSharing } from './shared-values.js';

describe('createValueSharing', () => {
  test('equal content gives the first instance; other content its own; values are unchanged', () => {
    const values = createValueSharing();
    const first = { status: 'Assigned', availableReplicas: 1 };
    expect(values.json(first)).toBe(first);
    const again = values.json({ status: 'Assigned', availableReplicas: 1 });
    expect(again).toBe(first);
    const other = { status: 'Created', availableReplicas: 1 };
    expect(values.json(other)).toBe(other);
    expect(values.json(undefined)).toBeUndefined();
    expect(values.string('default')).toBe('default');
    expect(values.string(undefined)).toBeUndefined();
  });

  test('past its limit a pool starts over instead of growing', () => {
    const values = createValueSharing(2);
    const a = { v: 'a' };
    values.json(a);
    values.json({ v: 'b' });
    expect(values.json({ v: 'a' })).toBe(a);
    values.json({ v: 'c' }); // third distinct value: the pool is cleared first, then holds only c
    const freshA = { v: 'a' };
    expect(values.json(freshA)).toBe(freshA);
  });
});
