import { describe, expect, test } from '@jest/globals';
import { readObjectId } from './object-id-query.js';

describe('readObjectId', () => {
  test('object_id, else principal_id; first occurrence wins; decoded', () => {
    expect(readObjectId('resource=r&object_id=abc')).toBe('abc');
    expect(readObjectId('principal_id=p&object_id=o')).toBe('o');
    expect(readObjectId('principal_id=p')).toBe('p');
    expect(readObjectId('object_id=first&object_id=second')).toBe('first');
    expect(readObjectId('object%5Fid=a%2Db+c')).toBe('a-b c');
    expect(readObjectId('resource=r&client_id=c')).toBe('');
  });

  test('pairs Go cannot read are dropped, never half-read', () => {
    expect(readObjectId('object_id=abc;x')).toBe('');
    expect(readObjectId('object_id=%zz&object_id=good')).toBe('good');
    expect(readObjectId('object_id=%E2%82')).toBe('');
  });
});
