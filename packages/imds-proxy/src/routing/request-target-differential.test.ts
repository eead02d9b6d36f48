import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { REFERENCE_PARSERS, isInstancePath, isTokenEndpoint, readTarget } from '../test-support/reference-parsers.js';
import { generateTargetCorpus } from '../test-support/target-corpus.js';
import { parseRequestTarget } from './request-target.js';

/**
 * The pure classifier against the 13 reference parsers (issue 14), without sockets so it can look at many more
 * targets: whatever NMI accepts as canonical must read *identically* to every parser (so no parser can route it
 * anywhere NMI did not), and whatever any parser reads as the token endpoint must be NMI's token route or refused.
 */

const PARSERS = Object.entries(REFERENCE_PARSERS);

/** Every way `parseRequestTarget(target)` disagrees with a reference parser, as readable lines. */
function disagreements(target: string): string[] {
  const parsed = parseRequestTarget(target);
  const problems: string[] = [];
  const readings = readTarget(target);
  if (
    readings.token.length > 0 &&
    parsed.canonical &&
    parsed.route !== 'token' &&
    parsed.route !== 'invalid-token-path'
  ) {
    problems.push(
      `${JSON.stringify(target)}: ${readings.token.join(', ')} read the token path, NMI routes ${parsed.route}`,
    );
  }
  if (readings.instance.length > 0 && parsed.canonical && parsed.route === 'pass-through') {
    problems.push(
      `${JSON.stringify(target)}: ${readings.instance.join(', ')} read the instance path, NMI passes it through`,
    );
  }
  if (parsed.canonical) {
    for (const [name, parse] of PARSERS) {
      const reading = parse(parsed.forwardTarget);
      if (reading !== parsed.path) {
        problems.push(
          `${JSON.stringify(target)}: forwarded ${JSON.stringify(parsed.forwardTarget)}, ${name} reads ${JSON.stringify(reading)}, NMI ${JSON.stringify(parsed.path)}`,
        );
      }
    }
  }
  return problems;
}

/** Another seed than the socket test's, so the two together look at more distinct targets. */
test('a seeded 25,000-target corpus: no disagreement with any reference parser', () => {
  const corpus = generateTargetCorpus({ seed: 0x14_beef, count: 25_000 });
  const problems = corpus.flatMap(disagreements);
  expect(problems.slice(0, 20)).toEqual([]);
  // Not vacuous: the corpus has canonical targets on every route, and many non-canonical ones NMI must refuse.
  const routes = new Set(
    corpus.map((target) => parseRequestTarget(target)).map((p) => (p.canonical ? p.route : 'refused')),
  );
  expect([...routes].sort()).toEqual([
    'host-token',
    'instance',
    'invalid-token-path',
    'pass-through',
    'refused',
    'token',
  ]);
});

/** Pieces a path segment is made of: plain text, every separator and dot spelling, control and look-alike bytes. */
const PIECES = [
  'metadata',
  'identity',
  'oauth2',
  'token',
  'instance',
  'Metadata',
  'TOKEN',
  'x',
  '',
  '.',
  '..',
  '%2e',
  '%2E',
  '%252e',
  '%2f',
  '%2F',
  '%252F',
  '%5c',
  '%5C',
  '\\',
  '%00',
  '%20',
  '%09',
  '%0a',
  ';',
  ';x',
  '#',
  '%23',
  '%3f',
  '%C0%AE',
  '%C0%AF',
  '%E0%80%AE',
  '%EF%BC%8F',
  '%EF%BC%8E',
  '%u002e',
  '%u2215',
  '\xEF\xBC\x8F',
  '~',
  '-',
  '_',
  ' ',
  '\t',
];

const targetArbitrary = fc
  .tuple(
    fc.constantFrom('', '', '', 'http://169.254.169.254', 'HTTP://169.254.169.254:80', '/'),
    fc.array(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }),
    fc.constantFrom('', '?api-version=2018-02-01&resource=https://management.azure.com/', '?x=%2e%2e/', '?'),
  )
  .map(([prefix, segments, query]) => `${prefix}/${segments.map((pieces) => pieces.join('')).join('/')}${query}`);

describe('property (fast-check): canonical means every parser reads the same path', () => {
  test('no generated target makes NMI disagree with a reference parser', () => {
    fc.assert(
      fc.property(targetArbitrary, (target) => {
        expect(disagreements(target)).toEqual([]);
      }),
      { numRuns: 10_000 },
    );
  });

  test('the plain token and instance paths are canonical and routed as such (the property is not vacuous)', () => {
    for (const target of ['/metadata/identity/oauth2/token?resource=x', '/metadata/identity/oauth2/token/']) {
      const parsed = parseRequestTarget(target);
      expect(parsed.canonical && parsed.route).toBe('token');
      expect(PARSERS.every(([, parse]) => isTokenEndpoint(parse(target)))).toBe(true);
    }
    const instance = parseRequestTarget('/metadata/instance/compute?api-version=2021-02-01');
    expect(instance.canonical && instance.route).toBe('instance');
    expect(PARSERS.every(([, parse]) => isInstancePath(parse('/metadata/instance/compute')))).toBe(true);
  });
});
