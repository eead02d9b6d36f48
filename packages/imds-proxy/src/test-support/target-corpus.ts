/**
 * A seeded, deterministic generator of hostile request targets for the CVE-2022-23551 differential (issue 14).
 *
 * Every candidate is built from a *logical* path (segments, dot segments, separators) near a sensitive endpoint
 * (the token path, the instance document, an allow-listed prefix climbing out of itself), then each piece is spelt
 * in one of many ways: percent-encoded up to 7 rounds (`%25` nesting), hex in either case, `%2F`/`%5C`/`%2E`,
 * overlong UTF-8, `%uXXXX`, unicode look-alike slashes and dots, empty segments, `;params`, fragments, encoded and
 * raw control bytes, absolute-form prefixes, and a real query string. Targets are binary strings (one char per
 * byte on the wire).
 */

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function weighted<T>(random: Random, items: readonly (readonly [number, T])[]): T {
  const total = items.reduce((sum, [weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [weight, item] of items) {
    roll -= weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1]![1];
}

/** `%` → `%25`, `rounds` times: `%2e` after 3 rounds is `%2525252e`. */
function encodeRounds(spelling: string, rounds: number): string {
  let out = spelling;
  for (let i = 0; i < rounds; i++) out = out.replace(/%/g, '%25');
  return out;
}

function randomHexCase(random: Random, spelling: string): string {
  return spelling.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => {
    const roll = random();
    return `%${roll < 0.4 ? hex.toLowerCase() : roll < 0.8 ? hex.toUpperCase() : hex[0]!.toLowerCase() + hex[1]!.toUpperCase()}`;
  });
}

/** How many extra rounds of `%25` nesting a spelling gets: mostly none, some up to 7. */
function roundsFor(random: Random): number {
  return weighted(random, [
    [60, 0],
    [14, 1],
    [8, 2],
    [5, 3],
    [4, 4],
    [4, 5],
    [3, 6],
    [2, 7],
  ]);
}

function spell(random: Random, spelling: string): string {
  if (!spelling.includes('%')) return spelling;
  return encodeRounds(randomHexCase(random, spelling), roundsFor(random));
}

const SEPARATORS: readonly (readonly [number, string])[] = [
  [60, '/'],
  [5, '//'],
  [4, '\\'],
  [5, '%2F'],
  [5, '%5C'],
  [2, '%C0%AF'], // overlong `/`
  [1, '%E0%80%AF'], // overlong `/` (3 bytes)
  [1, '%C1%9C'], // overlong `\`
  [2, '%E2%88%95'], // U+2215 DIVISION SLASH
  [2, '%EF%BC%8F'], // U+FF0F FULLWIDTH SOLIDUS
  [1, '%EF%BC%BC'], // U+FF3C FULLWIDTH REVERSE SOLIDUS
  [1, '%u2215'],
  [1, '%uFF0F'],
  [1, '%u002f'],
  [1, '\xEF\xBC\x8F'], // U+FF0F as raw UTF-8 bytes
  [1, '\xE2\x88\x95'], // U+2215 as raw UTF-8 bytes
  [2, '/./'],
  [1, '/%2e/'],
];

const DOTS: readonly (readonly [number, string])[] = [
  [50, '.'],
  [12, '%2e'],
  [12, '%2E'],
  [4, '%C0%AE'], // overlong `.`
  [3, '%E0%80%AE'], // overlong `.` (3 bytes)
  [3, '%EF%BC%8E'], // U+FF0E FULLWIDTH FULL STOP
  [2, '%u002e'],
  [1, '%uFF0E'],
  [1, '\xEF\xBC\x8E'], // U+FF0E as raw UTF-8 bytes
];

/** Logical path pieces; `sep` is a separator, `dot`/`dotdot` are dot segments, `seg` a named segment. */
type Piece =
  | { readonly kind: 'sep' }
  | { readonly kind: 'seg'; readonly text: string }
  | { readonly kind: 'dot' }
  | { readonly kind: 'dotdot' }
  /** A segment holding an encoded separator followed by `..`: `a%2f..` (one segment for RFC 3986, two for NMI). */
  | { readonly kind: 'opaque-climb' };

function spellSeparator(random: Random): string {
  return spell(random, weighted(random, SEPARATORS));
}

function spellDot(random: Random): string {
  return spell(random, weighted(random, DOTS));
}

function spellSegmentText(random: Random, text: string): string {
  const style = random();
  let out = '';
  for (const char of text) {
    const roll = random();
    if (style < 0.55 || roll < 0.75) out += char;
    else if (roll < 0.88) out += char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase();
    else out += spell(random, `%${char.charCodeAt(0).toString(16)}`);
  }
  return out;
}

function spellPiece(random: Random, piece: Piece): string {
  switch (piece.kind) {
    case 'sep':
      return spellSeparator(random);
    case 'seg':
      return spellSegmentText(random, piece.text);
    case 'dot':
      return `${spellDot(random)}${random() < 0.05 ? ';x' : ''}`;
    case 'dotdot':
      return `${spellDot(random)}${spellDot(random)}${random() < 0.08 ? pick(random, [';', ';x', ';a=b']) : ''}`;
    case 'opaque-climb':
      return `${pick(random, ['a', 'x', 'oauth2', 'token'])}${spell(random, pick(random, ['%2F', '%5C', '%2f', '%5c', '%C0%AF', '%EF%BC%8F']))}${spellDot(random)}${spellDot(random)}`;
  }
}

const SEP: Piece = { kind: 'sep' };
const DOT: Piece = { kind: 'dot' };
const DOTDOT: Piece = { kind: 'dotdot' };

function segments(...names: string[]): Piece[] {
  return names.map((text) => ({ kind: 'seg', text }));
}

/**
 * Detours that lenient parsers resolve away: `x/..`, `//..` (an empty segment and a climb), `.`, `a%2f../..`
 * (climbs twice for a decoder, not at all for RFC 3986), plain `..` (climbs over the previous real segment).
 */
function detour(random: Random): Piece[] {
  return weighted<Piece[]>(random, [
    [20, [...segments(pick(random, ['x', 'a', 'foo', 'instance', 'identity', '..x'])), DOTDOT]],
    [20, [{ kind: 'seg', text: '' }, DOTDOT]],
    [12, [DOT]],
    [14, [{ kind: 'opaque-climb' }, DOTDOT]],
    [6, [{ kind: 'seg', text: '' }]],
    [6, [DOTDOT]],
    [4, [{ kind: 'opaque-climb' }]],
    [4, [...segments('x', 'y'), DOTDOT, DOTDOT]],
  ]);
}

/** Sensitive (and some harmless) logical paths, as segment lists; weights bias toward where bypasses live. */
const BASES: readonly (readonly [number, () => Piece[]])[] = [
  [42, () => segments('metadata', 'identity', 'oauth2', 'token')],
  [14, () => segments('metadata', 'instance')],
  [8, () => segments('metadata', 'instance', 'compute')],
  // Starts inside an allow-listed prefix and climbs out of it to the token path (issue 14's 5-times-encoded case).
  [12, () => [...segments('metadata', 'instance', 'x'), DOTDOT, DOTDOT, ...segments('identity', 'oauth2', 'token')]],
  [4, () => [...segments('metadata', 'instance'), DOTDOT, ...segments('identity', 'oauth2', 'token')]],
  [4, () => segments('metadata', 'identity', 'oauth2', 'token', 'x')],
  [3, () => segments('host', 'token')],
  [3, () => segments('metadata', 'scheduledevents')],
  [2, () => segments('metadata', 'attested', 'document')],
  [2, () => segments('metadata', 'identity', 'oauth2', 'tokenx')],
  [2, () => segments('metadata', 'versions')],
  [2, () => segments('metadata')],
  [2, () => segments('x', 'metadata', 'identity', 'oauth2', 'token')],
];

/** Joins segments with separators and drops detours in at random positions. */
function logicalPath(random: Random): Piece[] {
  const base = weighted(random, BASES)();
  const detours = weighted(random, [
    [20, 0],
    [40, 1],
    [25, 2],
    [15, 3],
  ]);
  const withDetours: Piece[] = [...base];
  for (let i = 0; i < detours; i++) {
    const at = Math.floor(random() * (withDetours.length + 1));
    withDetours.splice(at, 0, ...detour(random));
  }
  const out: Piece[] = [];
  for (const piece of withDetours) out.push(SEP, piece);
  return out;
}

const SUFFIXES: readonly (readonly [number, string])[] = [
  [40, ''],
  [10, '/'],
  [4, '//'],
  [3, '/.'],
  [3, '/..'],
  [3, '//..'],
  [2, ';x'],
  [2, ';'],
  [3, '#frag'],
  [1, '#'],
  [2, '%23x'],
  [2, '%3Fx=1'],
  [2, '%00'],
  [2, '%20'],
  [2, '%09'],
  [2, '%0a'],
  [1, '%0d%0a'],
  [1, '%7f'],
  [2, '.'],
  [1, '%2e'],
  [1, ' .'],
  [1, '%C0%80'], // overlong NUL
  [1, '\x00'], // raw control bytes: the HTTP parser has to refuse these
  [1, '\x09'],
  [1, '\x0b'],
  [1, '\x7f'],
];

const PREFIXES: readonly (readonly [number, string])[] = [
  [86, ''],
  [4, 'http://169.254.169.254'],
  [2, 'HTTP://169.254.169.254:80'],
  [2, 'http://127.0.0.1'],
  [1, 'http://user@169.254.169.254'],
  [1, 'hTTp://metadata'],
  [2, '/'], // an empty first segment
  [1, '/.'],
  [1, '/..'],
];

const CLIENT_IDS = ['11111111-2222-3333-4444-555555555555', 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'];

function queryString(random: Random): string {
  const form = weighted(random, [
    [10, ''],
    [45, '?api-version=2018-02-01&resource=https://management.azure.com/'],
    [15, '?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net'],
    [15, '?api-version=2021-02-01&format=json'],
    [5, '?'],
    [10, '?resource=https://management.azure.com/&api-version=2019-08-01'],
  ]);
  if (form.includes('resource') && random() < 0.4) return `${form}&client_id=${pick(random, CLIENT_IDS)}`;
  return form;
}

export interface CorpusOptions {
  readonly seed: number;
  readonly count: number;
}

/** `count` distinct request targets, the same for the same seed. */
export function generateTargetCorpus({ seed, count }: CorpusOptions): string[] {
  const random = seededRandom(seed);
  const seen = new Set<string>();
  let guard = 0;
  while (seen.size < count && guard++ < count * 20) {
    const path = logicalPath(random)
      .map((piece) => spellPiece(random, piece))
      .join('');
    const target = `${weighted(random, PREFIXES)}${path}${weighted(random, SUFFIXES)}${queryString(random)}`;
    seen.add(target);
  }
  return [...seen];
}
