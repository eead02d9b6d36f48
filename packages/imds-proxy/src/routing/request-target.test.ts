import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { isAllowedPath, nonCanonicalPathReason, parseAllowedPaths, parseRequestTarget } from './request-target.js';

const QUERY = '?api-version=2018-02-01&resource=https://management.azure.com/';

function routeOf(target: string): string {
  const parsed = parseRequestTarget(target);
  return parsed.canonical ? parsed.route : 'refused';
}

describe('parseRequestTarget: canonical targets are routed on the bytes they are forwarded as', () => {
  test.each([
    ['/metadata/identity/oauth2/token?resource=x', 'token'],
    ['/metadata/identity/oauth2/token/?resource=x', 'token'],
    ['/METADATA/identity/oauth2/token', 'token'],
    ['/metadata/Identity/oauth2/token', 'invalid-token-path'],
    ['/metadata/identity/oauth2/tokenXYZ', 'invalid-token-path'],
    ['/metadata/identity/oauth2/token/extra', 'invalid-token-path'],
    ['/foo/metadata/identity/bar/oauth2/baz/token', 'invalid-token-path'],
    ['/host/token?resource=x', 'host-token'],
    ['/host/token/', 'host-token'],
    ['/host/tokenfoo', 'host-token'],
    ['/metadata/instance?api-version=2021-02-01', 'instance'],
    ['/Metadata/instance/compute/tagsList', 'instance'],
    ['/metadata/scheduledevents?api-version=2020-07-01', 'pass-through'],
    ['/metadata/attested/document', 'pass-through'],
    ['/', 'pass-through'],
    ['http://169.254.169.254/metadata/identity/oauth2/token?resource=x', 'token'],
    ['HTTP://169.254.169.254:80/metadata/instance', 'instance'],
  ])('%s → %s', (target, route) => {
    expect(routeOf(target)).toBe(route);
  });

  test('the forwarded target is the origin-form target exactly as received', () => {
    const parsed = parseRequestTarget('/metadata/instance/Compute?api-version=2021-02-01&format=text');
    expect(parsed).toMatchObject({
      canonical: true,
      path: '/metadata/instance/Compute',
      foldedPath: '/metadata/instance/compute',
      rawQuery: 'api-version=2021-02-01&format=text',
      forwardTarget: '/metadata/instance/Compute?api-version=2021-02-01&format=text',
    });
    expect(parseRequestTarget('http://169.254.169.254/metadata/versions?x=1')).toMatchObject({
      forwardTarget: '/metadata/versions?x=1',
    });
  });
});

describe('parseRequestTarget: everything else is refused before routing (issue 14 request lines)', () => {
  test.each([
    `/metadata/identity//../oauth2/token${QUERY}`,
    `/metadata/identity/oauth2//../token${QUERY}`,
    `/metadata/identity/oauth2/token//..${QUERY}`,
    `/metadata/identity/a%2f../../oauth2/token${QUERY}`,
    `/metadata/identity/a%5c../../oauth2/token${QUERY}`,
    `/metadata/identity/oauth2/token/a%2f../..${QUERY}`,
    '/metadata/identity/oauth2/token/%252e%252e/%2e%2e',
    '/metadata//../instance',
    '/metadata/instance//..',
    '/metadata/instance/x/%252525252e%252525252e/%252525252e%252525252e/identity/oauth2/token',
    '/metadata/instance/%20',
    '/metadata/instance/%09',
    '/metadata/instance/%00',
    '/metadata/instance/%0a',
    '/metadata/instance/\u0000',
    '/metadata/instance/\t',
    '/metadata/identity\\oauth2\\token',
    '/metadata/identity/oauth2/token.',
    '/metadata/identity/oauth2/token;x=1',
    '/metadata/identity/oauth2/token#frag',
    '/metadata/identity\u2215oauth2\u2215token',
    '/metadata/identity/oauth2/token\uff0f',
    '/metadata/%C0%AE%C0%AE/identity/oauth2/token',
    '/./metadata/instance',
    '//metadata/instance',
    '*',
    'metadata/instance',
    'http://user@169.254.169.254/metadata/instance',
    'http://169.254.169.254\\metadata/instance',
    'https://169.254.169.254/metadata/instance',
    '/metadata/instance?x=a b',
    '/metadata/instance?x=\u00e9',
    '/metadata/instance?x=1#/../../identity/oauth2/token',
    '/metadata/instance?x=\u0000',
  ])('%j is refused', (target) => {
    const parsed = parseRequestTarget(target);
    expect(parsed.canonical).toBe(false);
  });
});

describe('allowed metadata paths', () => {
  test('entries are canonical paths, compared case-insensitively by whole segments', () => {
    const allowed = parseAllowedPaths(['/metadata/instance/compute/', '/Metadata/Versions']);
    expect(allowed).toEqual(['/metadata/instance/compute', '/metadata/versions']);
    expect(isAllowedPath('/metadata/instance/compute', allowed)).toBe(true);
    expect(isAllowedPath('/metadata/instance/compute/tagslist', allowed)).toBe(true);
    expect(isAllowedPath('/metadata/instance/computex', allowed)).toBe(false);
    expect(isAllowedPath('/metadata/instance', allowed)).toBe(false);
    expect(isAllowedPath('/anything', parseAllowedPaths(['/']))).toBe(true);
  });

  test('a non-canonical entry is an error naming it', () => {
    expect(() => parseAllowedPaths(['/metadata/%69nstance'])).toThrow(
      'allowed metadata path "/metadata/%69nstance" is not a canonical path: percent-encoded path',
    );
    expect(() => parseAllowedPaths(['/metadata/../identity'])).toThrow(/dot segment/);
  });
});

/** How lenient servers read a path: decode until stable, `\` and `%2F` as separators, clean, fold. */
function lenientReading(path: string): string {
  let current = path;
  for (let round = 0; round < 12; round++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    }
    if (next === current) break;
    current = next;
  }
  const segments: string[] = [];
  for (const segment of current.replace(/[\\\u2215\uff0f]/g, '/').split('/')) {
    const trimmed = segment.replace(/[.\s]+$/, (dots) => (segment === '.' || segment === '..' ? dots : ''));
    if (trimmed === '' || trimmed === '.') continue;
    if (trimmed === '..') segments.pop();
    else segments.push(trimmed);
  }
  return `/${segments.join('/')}`.toLowerCase();
}

/** RFC 3986 §5.2.4 on the unfiltered segment list (WHATWG-like: empty segments kept). */
function rfc3986Reading(path: string): string {
  const output: string[] = [];
  const input = path.split('/').slice(1);
  input.forEach((segment, index) => {
    if (segment === '.' || segment === '..') {
      if (segment === '..') output.pop();
      if (index === input.length - 1) output.push('');
      return;
    }
    output.push(segment);
  });
  return `/${output.join('/')}`;
}

const SEGMENT_PIECES = [
  'metadata',
  'METADATA',
  'identity',
  'Identity',
  'oauth2',
  'token',
  'instance',
  'compute',
  'host',
  '',
  '.',
  '..',
  '...',
  'token.',
  '%2e',
  '%2E%2e',
  '%252e%252e',
  '%2f',
  '%5C',
  '%25',
  '%00',
  '%20',
  '\\',
  ';x',
  'a%2f..',
  '%C0%AE',
  '\u2215',
  '~',
  'x',
];

const pathArbitrary = fc
  .array(fc.array(fc.constantFrom(...SEGMENT_PIECES), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 })
  .map((segments) => `/${segments.map((pieces) => pieces.join('')).join('/')}`);

describe('property: a canonical path reads the same to every parser, so no parser can see a route NMI did not', () => {
  test('canonical ⇒ WHATWG, RFC 3986, percent-decoding and lenient servers all read it as sent', () => {
    fc.assert(
      fc.property(pathArbitrary, fc.constantFrom('', '?resource=x', '?a=%2e%2e/'), (path, query) => {
        const parsed = parseRequestTarget(`${path}${query}`);
        if (!parsed.canonical) return;
        expect(new URL(parsed.forwardTarget, 'http://169.254.169.254').pathname).toBe(parsed.path);
        expect(decodeURIComponent(parsed.path)).toBe(parsed.path);
        expect(rfc3986Reading(parsed.path)).toBe(parsed.path);
        const lenient = lenientReading(parsed.path);
        expect(lenient === parsed.foldedPath || `${lenient}/` === parsed.foldedPath).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  test('whenever a lenient or RFC 3986 reading is the token endpoint, NMI routes it as token or refuses it', () => {
    const isToken = (path: string) => /^\/metadata\/identity\/oauth2\/token\/?$/i.test(path);
    fc.assert(
      fc.property(pathArbitrary, (path) => {
        if (!isToken(lenientReading(path)) && !isToken(rfc3986Reading(path))) return;
        expect(['token', 'invalid-token-path', 'refused']).toContain(routeOf(path));
      }),
      { numRuns: 20_000 },
    );
  });

  test('nonCanonicalPathReason names the first problem', () => {
    expect(nonCanonicalPathReason('/a//b')).toBe('empty path segment');
    expect(nonCanonicalPathReason('/a/%41')).toBe('percent-encoded path');
    expect(nonCanonicalPathReason('/a/b c')).toBe('character not allowed in a path');
    expect(nonCanonicalPathReason('/a/./b')).toBe('dot segment');
    expect(nonCanonicalPathReason('/a/b./c')).toBe('path segment ending in a dot');
    expect(nonCanonicalPathReason('/a/b/')).toBeUndefined();
  });
});
