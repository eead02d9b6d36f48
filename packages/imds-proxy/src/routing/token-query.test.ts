import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseTokenQuery } from './token-query.js';

describe('parseTokenQuery', () => {
  test('reads resource, client_id and msi_res_id / mi_res_id', () => {
    expect(parseTokenQuery('api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&client_id=abc')).toEqual({
      resource: 'https://vault.azure.net',
      clientId: 'abc',
      resourceId: '',
    });
    expect(parseTokenQuery('resource=r&mi_res_id=%2Fsub%2Fx').resourceId).toBe('/sub/x');
    expect(parseTokenQuery('resource=r&msi_res_id=a&mi_res_id=b').resourceId).toBe('a');
    expect(parseTokenQuery('resource=r&msi_res_id=&mi_res_id=b').resourceId).toBe('b');
    expect(parseTokenQuery('resource=a+b&resource=second').resource).toBe('a b');
    expect(parseTokenQuery('')).toEqual({ resource: '', clientId: '', resourceId: '' });
  });

  test('agrees with URLSearchParams#get on arbitrary queries (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        'resource',
        'client_id',
        'msi_res_id',
        'mi_res_id',
        '=',
        '&',
        '%',
        '%2',
        '%41',
        '%E2%82%AC',
        '+',
        '%zz',
        '%C3',
      ),
      // Raw query bytes are ASCII on the wire (clients percent-encode the rest); the escapes above cover UTF-8.
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const query = pieces.join('');
        // The URLSearchParams constructor drops one leading `?`; Go's ParseQuery (upstream) and the server do not (the
        // raw query of `/token??resource=x` is `?resource=x`, whose first key is `?resource`). A leading `&` is an
        // empty pair to both, so it neutralises that quirk of the oracle alone.
        const expected = new URLSearchParams(`&${query}`);
        const parsed = parseTokenQuery(query);
        expect(parsed.resource).toBe(expected.get('resource') ?? '');
        expect(parsed.clientId).toBe(expected.get('client_id') ?? '');
        expect(parsed.resourceId).toBe(expected.get('msi_res_id') || expected.get('mi_res_id') || '');
      }),
      { numRuns: 3000 },
    );
  });

  test('a raw query that starts with `?` keeps it in the first key, as Go reads it', () => {
    expect(parseTokenQuery('?resource=x').resource).toBe('');
    expect(parseTokenQuery('?resource=x&resource=y').resource).toBe('y');
  });
});
