import { describe, expect, test } from '@jest/globals';
import { accessTokenObjectId } from './token-claims.js';

function jwt(payload: unknown): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part(payload)}.signature`;
}

describe('accessTokenObjectId', () => {
  test('reads the oid claim of a JWT', () => {
    expect(accessTokenObjectId(jwt({ oid: 'o-1', appid: 'a' }))).toBe('o-1');
  });

  test('undefined for opaque tokens, bad payloads and tokens without oid', () => {
    expect(accessTokenObjectId('opaque-token')).toBeUndefined();
    expect(accessTokenObjectId('a.b')).toBeUndefined();
    expect(accessTokenObjectId('x.!!!.y')).toBeUndefined();
    expect(accessTokenObjectId(jwt({ appid: 'a' }))).toBeUndefined();
    expect(accessTokenObjectId(jwt({ oid: 42 }))).toBeUndefined();
  });
});
