import { describe, expect, test } from '@jest/globals';
import {
  REFERENCE_PARSERS,
  azureImdsAssumed,
  decodeThenClean,
  decodeWholeTargetThenClean,
  goDecodedPathClean,
  goEscapedPathClean,
  goParseRequestUri,
  goPathClean,
  goServeMuxCleanPath,
  isAllowed,
  isInstancePath,
  isTokenEndpoint,
  rawOriginPath,
  readTarget,
  removeDotSegments,
  rfc3986,
  rfc3986DecodeThenDots,
  rfc3986DotsThenDecode,
  servletStyle,
  whatwgPathname,
  whatwgPathnameDecoded,
  windowsTolerant,
} from './reference-parsers.js';
import { generateTargetCorpus } from './target-corpus.js';

/**
 * The reference parsers are only worth something if each really behaves like the server it models; these pin
 * their readings on the cases that distinguish them (and on the published examples of RFC 3986 and Go).
 */

describe('WHATWG URL', () => {
  test.each([
    ['/metadata/identity//../oauth2/token', '/metadata/identity/oauth2/token'],
    ['/metadata/identity/a%2f../../oauth2/token', '/metadata/identity/oauth2/token'],
    ['/metadata/identity/oauth2/token/%252e%252e/%2e%2e', '/metadata/identity/oauth2/token/'],
    ['/metadata\\identity\\oauth2\\token', '/metadata/identity/oauth2/token'],
    ['//evil/metadata/instance', '/metadata/instance'], // scheme-relative: the first segment becomes the host
    ['/metadata/identity/oauth2/token#x', '/metadata/identity/oauth2/token'],
    ['/metadata/ident\tity/oauth2/token', '/metadata/identity/oauth2/token'], // tab removed
    ['http://169.254.169.254/metadata/instance?x', '/metadata/instance'],
  ])('%j → %j', (target, path) => {
    expect(whatwgPathname(target)).toBe(path);
  });

  test('the decoded variant decodes the pathname once', () => {
    expect(whatwgPathname('/metadata%2Fidentity')).toBe('/metadata%2Fidentity');
    expect(whatwgPathnameDecoded('/metadata%2Fidentity')).toBe('/metadata/identity');
    expect(whatwgPathnameDecoded('/metadata%252F')).toBe('/metadata%2F');
  });

  test('an unparsable absolute-form target is refused', () => {
    expect(whatwgPathname('http://[::1/x')).toBeNull();
  });
});

describe('RFC 3986 remove_dot_segments', () => {
  test.each([
    ['/a/b/c/./../../g', '/a/g'], // RFC 3986 §5.2.4's own examples
    ['mid/content=5/../6', 'mid/6'],
    ['/metadata/identity//../oauth2/token', '/metadata/identity/oauth2/token'], // `..` eats only the empty segment
    ['/metadata/identity/oauth2/token//..', '/metadata/identity/oauth2/token/'],
    ['/a/..', '/'],
    ['/..', '/'],
  ])('%j → %j', (path, resolved) => {
    expect(removeDotSegments(path)).toBe(resolved);
  });

  test('on request targets, raw and decoded either side of the dot removal', () => {
    expect(rfc3986('/metadata/identity/a%2f../../oauth2/token?x')).toBe('/metadata/identity/oauth2/token');
    expect(rfc3986('/x/%2e%2e/y')).toBe('/x/%2e%2e/y'); // `%2e%2e` is not a dot segment here
    expect(rfc3986DecodeThenDots('/x/%2e%2e/y')).toBe('/y');
    expect(rfc3986DotsThenDecode('/metadata%2Fidentity%2Foauth2%2Ftoken')).toBe('/metadata/identity/oauth2/token');
    expect(rfc3986('//x/metadata')).toBe('//x/metadata'); // origin-form: an empty segment, not an authority
    expect(rfc3986('http://h/metadata/./instance')).toBe('/metadata/instance');
    expect(rfc3986('metadata/instance')).toBeNull();
  });
});

describe('Go net/url and path.Clean', () => {
  test.each([
    ['', '.'], // path.Clean's documented examples
    ['a/c', 'a/c'],
    ['a//c', 'a/c'],
    ['a/c/.', 'a/c'],
    ['a/c/b/..', 'a/c'],
    ['/../a/c', '/a/c'],
    ['/../a/b/../././/c', '/a/c'],
    ['/abc/def/../../..', '/'],
    ['../../a', '../../a'],
  ])('path.Clean(%j) = %j', (input, cleaned) => {
    expect(goPathClean(input)).toBe(cleaned);
  });

  test('ServeMux keeps one trailing slash', () => {
    expect(goServeMuxCleanPath('/metadata/identity/oauth2/token//')).toBe('/metadata/identity/oauth2/token/');
    expect(goServeMuxCleanPath('/a/b/')).toBe('/a/b/');
    expect(goServeMuxCleanPath('')).toBe('/');
  });

  test('ParseRequestURI refuses what Go refuses', () => {
    expect(goParseRequestUri('/a%zz')).toBeNull(); // invalid URL escape
    expect(goParseRequestUri('/a\x00b')).toBeNull(); // invalid control character in URL
    expect(goParseRequestUri('/a\x7fb')).toBeNull();
    expect(goParseRequestUri('metadata/instance')).toBeNull(); // invalid URI for request
    expect(goParseRequestUri(':x')).toBeNull(); // missing protocol scheme
  });

  test('Path is decoded, EscapedPath keeps %2F as written', () => {
    expect(goParseRequestUri('/a%2Fb?x=1')).toEqual({ path: '/a/b', escapedPath: '/a%2Fb' });
    expect(goParseRequestUri('http://169.254.169.254/metadata/instance')).toEqual({
      path: '/metadata/instance',
      escapedPath: '/metadata/instance',
    });
    expect(goDecodedPathClean('/metadata/identity/oauth2/token/a%2f../..')).toBe('/metadata/identity/oauth2');
    expect(goEscapedPathClean('/metadata/identity/oauth2/token/a%2f../..')).toBe('/metadata/identity/oauth2/token');
    expect(goDecodedPathClean('/metadata/identity/oauth2/x/a%2f../../token')).toBe('/metadata/identity/oauth2/token');
    expect(goEscapedPathClean('/metadata/identity/oauth2/x/a%2f../../token')).toBe('/metadata/identity/oauth2/x/token');
    // A raw byte Go would escape makes RawPath unusable: EscapedPath re-escapes the decoded Path.
    expect(goParseRequestUri('/a%2Fb"')?.escapedPath).toBe('/a/b%22');
  });
});

describe('lenient servers', () => {
  test('decode-then-clean decodes until stable, then resolves', () => {
    expect(
      decodeThenClean('/metadata/instance/x/%252525252e%252525252e/%252525252e%252525252e/identity/oauth2/token'),
    ).toBe('/metadata/identity/oauth2/token');
    expect(decodeThenClean('/metadata%5Cidentity%255Coauth2/token')).toBe('/metadata/identity/oauth2/token');
    expect(decodeThenClean('/metadata/identity/oauth2/token%3Fx')).toBe('/metadata/identity/oauth2/token?x');
    expect(decodeWholeTargetThenClean('/metadata/identity/oauth2/token%3Fx')).toBe('/metadata/identity/oauth2/token');
  });

  test('servlet style strips ;params, refuses encoded separators', () => {
    expect(servletStyle('/metadata/identity/x/..;/oauth2/token')).toBe('/metadata/identity/oauth2/token');
    expect(servletStyle('/metadata/identity/oauth2/token;jsessionid=1')).toBe('/metadata/identity/oauth2/token');
    expect(servletStyle('/metadata%2Fidentity')).toBeNull();
    expect(servletStyle('/metadata\\identity')).toBeNull();
  });

  test('raw origin path is the path as written', () => {
    expect(rawOriginPath('/a/../b?x')).toBe('/a/../b');
    expect(rawOriginPath('http://h/a%2Fb')).toBe('/a%2Fb');
  });

  test('windows-tolerant decodes %u, overlong UTF-8, look-alike slashes and ignores trailing dots', () => {
    expect(windowsTolerant('/metadata%C0%AFidentity/oauth2/token')).toBe('/metadata/identity/oauth2/token');
    expect(windowsTolerant('/metadata/identity/x/%C0%AE%C0%AE/oauth2/token')).toBe('/metadata/identity/oauth2/token');
    expect(windowsTolerant('/metadata%EF%BC%8Fidentity%E2%88%95oauth2%u2215token')).toBe(
      '/metadata/identity/oauth2/token',
    );
    expect(windowsTolerant('/metadata\xEF\xBC\x8Finstance')).toBe('/metadata/instance');
    expect(windowsTolerant('/metadata/identity/oauth2/token.')).toBe('/metadata/identity/oauth2/token');
    expect(windowsTolerant('/metadata/x/%252e%252e/instance')).toBe('/metadata/x/%2e%2e/instance'); // one round only
  });

  test('the assumed Azure IMDS model is the most lenient: every round, ;params, NUL ends the path', () => {
    expect(azureImdsAssumed('/metadata/x/%25252e%25252e/instance')).toBe('/metadata/instance');
    expect(azureImdsAssumed('/metadata/identity/oauth2/token%00.json')).toBe('/metadata/identity/oauth2/token');
    expect(azureImdsAssumed('/metadata/identity/oauth2/token;x')).toBe('/metadata/identity/oauth2/token');
    expect(azureImdsAssumed('/metadata/%25C0%25AE%25C0%25AE/metadata/instance')).toBe('/metadata/instance');
  });
});

describe('what a reading means', () => {
  test('the token endpoint: any case, trailing slash, any suffix; nothing else', () => {
    expect(isTokenEndpoint('/metadata/identity/oauth2/token')).toBe(true);
    expect(isTokenEndpoint('/METADATA/Identity/OAuth2/Token/')).toBe(true);
    expect(isTokenEndpoint('/metadata/identity/oauth2/token/x')).toBe(true);
    expect(isTokenEndpoint('/metadata/identity/oauth2')).toBe(false);
    expect(isTokenEndpoint('/x/metadata/identity/oauth2/token')).toBe(false);
    expect(isTokenEndpoint(null)).toBe(false);
  });

  test('instance paths and the allow-list work on segment boundaries, case-insensitively', () => {
    expect(isInstancePath('/Metadata/Instance/compute')).toBe(true);
    expect(isInstancePath('/metadata/instancex')).toBe(false);
    expect(isAllowed('/metadata/instance/compute', ['/metadata/instance'])).toBe(true);
    expect(isAllowed('/METADATA/INSTANCE', ['/metadata/instance/'])).toBe(true);
    expect(isAllowed('/metadata/instancex', ['/metadata/instance'])).toBe(false);
    expect(isAllowed('/metadata/identity/oauth2/token', ['/metadata/instance'])).toBe(false);
    expect(isAllowed(null, ['/metadata/instance'])).toBe(true); // that server refuses the request
  });

  test('the parsers are independent: on the corpus, each one has readings no other parser shares', () => {
    const corpus = generateTargetCorpus({ seed: 7, count: 5000 });
    const names = Object.keys(REFERENCE_PARSERS);
    const unique = new Map(names.map((name) => [name, 0]));
    for (const target of corpus) {
      const { byParser } = readTarget(target);
      for (const name of names) {
        const others = names.filter((other) => other !== name).map((other) => byParser[other]);
        if (!others.includes(byParser[name]!)) unique.set(name, unique.get(name)! + 1);
      }
    }
    // Parsers that are refinements of others (decoded variants) still differ on some targets.
    for (const [name, count] of unique) expect({ name, differs: count > 0 }).toEqual({ name, differs: true });
  });
});
