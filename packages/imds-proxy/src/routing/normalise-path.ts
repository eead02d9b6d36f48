/**
 * Path normalisation for routing decisions (CVE-2022-23551). IMDS is lenient about how a path is spelt, so NMI must
 * decide on the path IMDS would see, not on the raw bytes: a request that IMDS would treat as the token endpoint
 * must never reach IMDS through the pass-through proxy.
 */

/** Decoding rounds: catches double encoding such as `%255C` → `%5C` → `\`. */
const MAX_DECODE_ROUNDS = 4;

/** Replaces every valid `%XX` escape with its byte (as a latin1 char); invalid escapes stay as they are. */
function percentDecodeOnce(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function percentDecodeFully(text: string): string {
  let current = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = percentDecodeOnce(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** Resolves `.` and `..` segments (RFC 3986 §5.2.4); `..` never climbs above the root. */
function removeDotSegments(segments: readonly string[]): string[] {
  const output: string[] = [];
  for (const segment of segments) {
    if (segment === '.') continue;
    if (segment === '..') {
      output.pop();
      continue;
    }
    output.push(segment);
  }
  return output;
}

export interface NormalisedPath {
  /** Decoded, `\` → `/`, duplicate slashes collapsed, dot segments resolved; original case kept. */
  readonly path: string;
  /** `path` lower-cased: what routing compares against. */
  readonly folded: string;
}

/** Anything that could make the path mean something other than its plain spelling. */
const NEEDS_NORMALISING = /[%\\]|\/\/|\/\.\.?(?:\/|$)/;

export function normalisePath(rawPath: string): NormalisedPath {
  // Fast path for the common case (every SDK's token request): nothing to decode or fold.
  if (rawPath.startsWith('/') && !NEEDS_NORMALISING.test(rawPath)) {
    return { path: rawPath, folded: rawPath.toLowerCase() };
  }
  const decoded = percentDecodeFully(rawPath).replace(/\\/g, '/');
  const hadTrailingSlash = decoded.endsWith('/') || /\/\.{1,2}$/.test(decoded);
  const segments = decoded.split('/').filter((segment) => segment.length > 0);
  const resolved = removeDotSegments(segments);
  let path = `/${resolved.join('/')}`;
  if (hadTrailingSlash && resolved.length > 0) path += '/';
  return { path, folded: path.toLowerCase() };
}

/** Splits a request target into its path and raw query (absolute-form targets are reduced to their path). */
export function splitRequestTarget(target: string): { rawPath: string; rawQuery: string } {
  let pathAndQuery = target;
  if (!target.startsWith('/')) {
    // Absolute-form (`GET http://169.254.169.254/metadata/...`) or garbage: keep only what a server would route on.
    try {
      const url = new URL(target);
      pathAndQuery = `${url.pathname}${url.search}`;
    } catch {
      pathAndQuery = `/${target}`;
    }
  }
  const queryStart = pathAndQuery.indexOf('?');
  if (queryStart === -1) return { rawPath: pathAndQuery, rawQuery: '' };
  return { rawPath: pathAndQuery.slice(0, queryStart), rawQuery: pathAndQuery.slice(queryStart + 1) };
}
