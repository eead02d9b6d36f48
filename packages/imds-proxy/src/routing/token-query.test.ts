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

  test("agrees with a model of Go's url.ParseQuery + Get on arbitrary queries (property)", () => {
    const piece = fc.oneof(
      fc.constantFrom(
        'resource',
        'client_id',
        'msi_res_id',
        'mi_res_id',
        '=',
        '&',
        ';',
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
        const expected = goParseQuery(query);
        const parsed = parseTokenQuery(query);
        expect(parsed.resource).toBe(expected.get('resource')?.[0] ?? '');
        expect(parsed.clientId).toBe(expected.get('client_id')?.[0] ?? '');
        expect(parsed.resourceId).toBe(expected.get('msi_res_id')?.[0] || expected.get('mi_res_id')?.[0] || '');
      }),
      { numRuns: 3000 },
    );
  });

  test('issue 15 item 14: pairs with `;` or a bad escape are dropped as Go drops them', () => {
    expect(parseTokenQuery('resource=https://vault.azure.net;x').resource).toBe('');
    expect(parseTokenQuery('resource=https://vault.azure.net;x&resource=https://storage.azure.com/').resource).toBe(
      'https://storage.azure.com/',
    );
    expect(parseTokenQuery('resource=https://vault.azure.net%zz').resource).toBe('');
    expect(parseTokenQuery('resource=r&client_id=abc%').clientId).toBe('');
    expect(parseTokenQuery('resource=r%C3').resource).toBe('r\uFFFD');
  });

  test('a raw query that starts with `?` keeps it in the first key, as Go reads it', () => {
    expect(parseTokenQuery('?resource=x').resource).toBe('');
    expect(parseTokenQuery('?resource=x&resource=y').resource).toBe('y');
  });
});

/**
 * Go's `url.ParseQuery` (1.17+), modelled from its documented behaviour: split on `&`; a pair with `;` is an error
 * and skipped; split on the first `=`; `QueryUnescape` both halves, skipping the pair when either has a bad escape.
 */
function goParseQuery(query: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  let rest = query;
  while (rest !== '') {
    const amp = rest.indexOf('&');
    const pair = amp === -1 ? rest : rest.slice(0, amp);
    rest = amp === -1 ? '' : rest.slice(amp + 1);
    if (pair.includes(';') || pair === '') continue;
    const eq = pair.indexOf('=');
    const key = goQueryUnescape(eq === -1 ? pair : pair.slice(0, eq));
    const value = goQueryUnescape(eq === -1 ? '' : pair.slice(eq + 1));
    if (key === null || value === null) continue;
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return values;
}

function goQueryUnescape(text: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (char === '+') {
      bytes.push(0x20);
    } else {
      bytes.push(...new TextEncoder().encode(char));
    }
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}
