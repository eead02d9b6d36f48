/**
 * Reference request-target parsers for the CVE-2022-23551 differential test (issue 14).
 *
 * Each parser is an independent model of how one kind of HTTP server turns the request target it received into the
 * path it routes on: `(rawTarget) => path | null`, null meaning that server would refuse the request. They are kept
 * deliberately separate (no shared normaliser): the point of the differential is that NMI must be safe whichever
 * of them sits behind 169.254.169.254, so one parser's blind spot must not hide another's reading.
 *
 * Targets and results are "binary strings": one char per byte, as node:http hands `req.url` to a handler (latin1).
 * Percent-decoding therefore yields bytes, not UTF-8 text, except where a parser models a server that decodes UTF-8.
 */

export type ReferenceParser = (rawTarget: string) => string | null;

const HEX = /^[0-9a-fA-F]{2}$/;

const ESCAPE = /%([0-9a-fA-F]{2})/g;
const byteOfHex = (_match: string, hex: string) => String.fromCharCode(Number.parseInt(hex, 16));

/** One round of `%XX` → byte; invalid escapes are left as they are (what lenient servers do). */
function decodeOnceLenient(text: string): string {
  return text.includes('%') ? text.replace(ESCAPE, byteOfHex) : text;
}

/** Splits an origin-form target at the first `?`, or returns null when the target is not origin-form. */
function originFormPath(target: string): string | null {
  if (!target.startsWith('/')) return null;
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/** The path of an absolute-form target (`http://host/path?q`), split the way RFC 3986 Appendix B does. */
const RFC3986_REFERENCE = /^(([^:/?#]+):)?(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$/s;

// ---------------------------------------------------------------------------------------------------------------
// WHATWG URL (Node servers doing `new URL(req.url, base)`, undici, Deno, Bun, most JS frameworks)
// ---------------------------------------------------------------------------------------------------------------

/**
 * WHATWG `new URL(target, 'http://169.254.169.254').pathname`. Note what this really does to an origin-form
 * target: `\` is a separator for http, `%2e`/`%2E` segments are dot segments, tabs/newlines are removed,
 * `#` starts a fragment, and `//host/path` is a *scheme-relative* reference whose first segment becomes the host.
 * The pathname stays percent-encoded (a router matching on it compares encoded text).
 */
export const whatwgPathname: ReferenceParser = (target) => {
  try {
    return new URL(target, 'http://169.254.169.254').pathname;
  } catch {
    return null;
  }
};

/** WHATWG pathname, then percent-decoded once (a router that decodes the pathname before matching). */
export const whatwgPathnameDecoded: ReferenceParser = (target) => {
  const pathname = whatwgPathname(target);
  return pathname === null ? null : decodeOnceLenient(pathname);
};

// ---------------------------------------------------------------------------------------------------------------
// RFC 3986 (§5.2.4 remove_dot_segments on the path as received, empty segments kept)
// ---------------------------------------------------------------------------------------------------------------

/** RFC 3986 §5.2.4, literally: an input buffer consumed into an output buffer. Empty segments are kept. */
export function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  const dropLastOutputSegment = () => {
    const slash = output.lastIndexOf('/');
    output = slash === -1 ? '' : output.slice(0, slash);
  };
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      dropLastOutputSegment();
    } else if (input === '/..') {
      input = '/';
      dropLastOutputSegment();
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      const segment = next === -1 ? input : input.slice(0, next);
      output += segment;
      input = input.slice(segment.length);
    }
  }
  return output;
}

/** The path component of a request target per RFC 3986 / RFC 9112 (origin-form, or absolute-form with a scheme). */
function rfc3986TargetPath(target: string): string | null {
  if (target.startsWith('/')) {
    // origin-form = absolute-path [ "?" query ]: `//x` is a path with an empty first segment, not an authority.
    const end = target.search(/[?#]/);
    return end === -1 ? target : target.slice(0, end);
  }
  const match = RFC3986_REFERENCE.exec(target);
  if (!match?.[2] || match[3] === undefined) return null; // neither origin-form nor absolute-form: refused
  return match[5] || '/';
}

/** RFC 3986: `remove_dot_segments` on the raw path (`%2e` is not a dot, `%2F` is not a separator). */
export const rfc3986: ReferenceParser = (target) => {
  const path = rfc3986TargetPath(target);
  return path === null ? null : removeDotSegments(path);
};

/** RFC 3986 after one round of percent-decoding (a server that decodes first, then resolves dot segments). */
export const rfc3986DecodeThenDots: ReferenceParser = (target) => {
  const path = rfc3986TargetPath(target);
  return path === null ? null : removeDotSegments(decodeOnceLenient(path));
};

/** RFC 3986 dot removal on the raw path, then one round of decoding for routing (the usual order in servers). */
export const rfc3986DotsThenDecode: ReferenceParser = (target) => {
  const path = rfc3986TargetPath(target);
  return path === null ? null : decodeOnceLenient(removeDotSegments(path));
};

// ---------------------------------------------------------------------------------------------------------------
// Go: net/url.ParseRequestURI (as net/http's server does) and path.Clean (as ServeMux and many handlers do)
// ---------------------------------------------------------------------------------------------------------------

interface GoUrl {
  /** URL.Path: percent-decoded, `%2F` becomes `/`. */
  readonly path: string;
  /** URL.EscapedPath(): RawPath when it is a valid encoding of Path, else Path re-escaped. */
  readonly escapedPath: string;
}

/** Go's unescape(s, encodePath): every `%` must start a valid escape, or the whole URL is refused. */
function goUnescapePath(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return null;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 2;
    } else out += c;
  }
  return out;
}

/** Go's shouldEscape(c, encodePath): unreserved and `$&+,/:;=@` stay. */
function goShouldEscapeInPath(c: string): boolean {
  if (/[A-Za-z0-9\-_.~]/.test(c)) return false;
  return !'$&+,/:;=@'.includes(c);
}

function goEscapePath(path: string): string {
  let out = '';
  for (const c of path) {
    out += goShouldEscapeInPath(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : c;
  }
  return out;
}

/** Go's validEncoded(s, encodePath): RawPath is only used when every byte is allowed as written. */
function goValidEncoded(raw: string): boolean {
  return /^[A-Za-z0-9\-_.~$&+,/:;=@!'()*[\]%]*$/.test(raw);
}

/** Go's getScheme: letters, then letters/digits/`+-.`, up to `:`. Returns [scheme, rest] or null on error. */
function goGetScheme(raw: string): [string, string] | null {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) return null; // "missing protocol scheme"
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

/** `url.ParseRequestURI`: refuses control bytes, bad escapes, and targets that are neither a path nor absolute. */
export function goParseRequestUri(target: string): GoUrl | null {
  // stringContainsCTLByte: "net/url: invalid control character in URL"
  if (/[\x00-\x1f\x7f]/.test(target) || target === '') return null;
  const scheme = goGetScheme(target);
  if (scheme === null) return null;
  let [schemeName, rest] = scheme;
  const query = rest.indexOf('?');
  if (query !== -1) rest = rest.slice(0, query);
  if (!rest.startsWith('/')) return null; // opaque or relative: "invalid URI for request"
  if (schemeName !== '' && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
    if (goUnescapePath(authority) === null) return null; // host escapes are validated too
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  const path = goUnescapePath(rest);
  if (path === null) return null; // "invalid URL escape"
  const escapedPath = goValidEncoded(rest) && goUnescapePath(rest) === path ? rest : goEscapePath(path);
  return { path, escapedPath };
}

/** Go's `path.Clean`, lexically: one slash, no `.`, inner `..` eat their parent, rooted `..` dropped. */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const n = p.length;
  let out = rooted ? '/' : '';
  let r = rooted ? 1 : 0;
  let dotdot = rooted ? 1 : 0;
  while (r < n) {
    if (p[r] === '/') r++;
    else if (p[r] === '.' && (r + 1 === n || p[r + 1] === '/')) r++;
    else if (p[r] === '.' && p[r + 1] === '.' && (r + 2 === n || p[r + 2] === '/')) {
      r += 2;
      if (out.length > dotdot) {
        let w = out.length - 1;
        while (w > dotdot && out[w] !== '/') w--;
        out = out.slice(0, w);
      } else if (!rooted) {
        if (out.length > 0) out += '/';
        out += '..';
        dotdot = out.length;
      }
    } else {
      if ((rooted && out.length !== 1) || (!rooted && out.length !== 0)) out += '/';
      while (r < n && p[r] !== '/') out += p[r++];
    }
  }
  return out === '' ? '.' : out;
}

/** net/http ServeMux's cleanPath: path.Clean, keeping one trailing slash. */
export function goServeMuxCleanPath(p: string): string {
  if (p === '') return '/';
  const rooted = p.startsWith('/') ? p : `/${p}`;
  let cleaned = goPathClean(rooted);
  if (rooted.endsWith('/') && cleaned !== '/') {
    cleaned = rooted.length === cleaned.length + 1 && rooted.startsWith(cleaned) ? rooted : `${cleaned}/`;
  }
  return cleaned;
}

/**
 * Go server routing on `path.Clean(r.URL.Path)` (decoded: `a%2F..` becomes `a/..` and is resolved). ServeMux
 * itself answers a 301 to the cleaned path, but handlers that clean and serve are common; modelled as serving.
 */
export const goDecodedPathClean: ReferenceParser = (target) => {
  const url = goParseRequestUri(target);
  return url === null ? null : goServeMuxCleanPath(url.path);
};

/** Go router on `r.URL.EscapedPath()` (RawPath; gorilla/mux UseEncodedPath, chi): `%2F` stays inside its segment. */
export const goEscapedPathClean: ReferenceParser = (target) => {
  const url = goParseRequestUri(target);
  return url === null ? null : goServeMuxCleanPath(url.escapedPath);
};

// ---------------------------------------------------------------------------------------------------------------
// Lenient servers
// ---------------------------------------------------------------------------------------------------------------

/** Strips `scheme://authority` from an absolute-form target; origin-form is returned as it is. */
function lenientStripAbsoluteForm(target: string): string {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  if (!match) return target;
  return target.slice(match[0].length) || '/';
}

/** Collapse runs of `/`, resolve `.`/`..` (never above the root), keep a trailing slash. */
function collapseAndResolve(path: string): string {
  const output: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') output.pop();
    else output.push(segment);
  }
  const trailing = /\/\.{0,2}$/.test(path) && output.length > 0 ? '/' : '';
  return `/${output.join('/')}${trailing}`;
}

function decodeUntilStable(text: string): string {
  let current = text;
  for (let round = 0; round < 64; round++) {
    const next = decodeOnceLenient(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** A decode-then-clean server: path up to `?`, decoded until stable, `\` → `/`, `//` collapsed, dots resolved. */
export const decodeThenClean: ReferenceParser = (target) => {
  const withoutAuthority = lenientStripAbsoluteForm(target);
  const query = withoutAuthority.indexOf('?');
  const path = query === -1 ? withoutAuthority : withoutAuthority.slice(0, query);
  return collapseAndResolve(decodeUntilStable(path).replace(/\\/g, '/'));
};

/**
 * A sloppier one that decodes the *whole* target before splitting off the query and fragment, so `%3F` and `%23`
 * end the path (seen in hand-written proxies).
 */
export const decodeWholeTargetThenClean: ReferenceParser = (target) => {
  const decoded = decodeUntilStable(lenientStripAbsoluteForm(target));
  const end = decoded.search(/[?#]/);
  const path = end === -1 ? decoded : decoded.slice(0, end);
  return collapseAndResolve(path.replace(/\\/g, '/'));
};

/**
 * A Java-servlet-style container (Tomcat defaults): `;params` are stripped from every segment (so `..;x` is `..`),
 * encoded `/` and `\` are refused with 400, one round of decoding, `\` refused, `//` collapsed, dots resolved.
 */
export const servletStyle: ReferenceParser = (target) => {
  const path = originFormPath(lenientStripAbsoluteForm(target));
  if (path === null) return null;
  const withoutParams = path
    .split('/')
    .map((segment) => segment.replace(/;.*$/s, ''))
    .join('/');
  if (/%(2f|5c)/i.test(withoutParams)) return null;
  const decoded = decodeOnceLenient(withoutParams);
  if (decoded.includes('\\') || decoded.includes('\0')) return null;
  return collapseAndResolve(decoded);
};

/** A router comparing the raw path as received (no decoding, no dot resolution): Express-style prefix routers. */
export const rawOriginPath: ReferenceParser = (target) => originFormPath(lenientStripAbsoluteForm(target));

/** Windows best-fit mappings of look-alike code points onto ASCII separators and dots ("WorstFit"). */
const BEST_FIT: Record<number, string> = {
  8725: '/', // DIVISION SLASH
  8260: '/', // FRACTION SLASH
  10744: '/', // BIG SOLIDUS
  65295: '/', // FULLWIDTH SOLIDUS
  8726: '\\', // SET MINUS
  10745: '\\', // BIG REVERSE SOLIDUS
  65340: '\\', // FULLWIDTH REVERSE SOLIDUS
  65294: '.', // FULLWIDTH FULL STOP
  8228: '.', // ONE DOT LEADER
  65106: '.', // SMALL FULL STOP
};

/**
 * Decodes a byte string as UTF-8 the way old IIS did: overlong forms accepted (`C0 AE` is `.`, `E0 80 AF` is `/`),
 * invalid bytes kept as they are.
 */
function decodeUtf8Permissive(bytes: string): string {
  if (!/[\xc0-\xf7]/.test(bytes)) return bytes;
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b0 = bytes.charCodeAt(i);
    const cont = (k: number) => {
      const b = bytes.charCodeAt(i + k);
      return b >= 0x80 && b <= 0xbf ? b & 0x3f : -1;
    };
    if (b0 >= 0xc0 && b0 <= 0xdf && cont(1) >= 0) {
      out += String.fromCodePoint(((b0 & 0x1f) << 6) | cont(1));
      i += 1;
    } else if (b0 >= 0xe0 && b0 <= 0xef && cont(1) >= 0 && cont(2) >= 0) {
      out += String.fromCodePoint(((b0 & 0x0f) << 12) | (cont(1) << 6) | cont(2));
      i += 2;
    } else if (b0 >= 0xf0 && b0 <= 0xf7 && cont(1) >= 0 && cont(2) >= 0 && cont(3) >= 0) {
      out += String.fromCodePoint(((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3));
      i += 3;
    } else out += bytes[i];
  }
  return out;
}

/** One round of IIS-style decoding: `%uXXXX`, then `%XX` bytes read as permissive UTF-8, then best-fit. */
const BEST_FIT_CHARS = new RegExp(
  `[${Object.keys(BEST_FIT)
    .map((code) => String.fromCharCode(Number(code)))
    .join('')}]`,
  'g',
);

function decodeOnceWindows(text: string): string {
  const percentU = /%u/i.test(text)
    ? text.replace(/%u([0-9a-fA-F]{4})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    : text;
  const decoded = decodeUtf8Permissive(decodeOnceLenient(percentU));
  return decoded.replace(BEST_FIT_CHARS, (c) => BEST_FIT[c.charCodeAt(0)]!);
}

/** Windows file-name semantics: trailing dots and spaces of a segment are ignored (`token.` is `token`). */
function stripWindowsTrailing(path: string): string {
  return path
    .split('/')
    .map((segment) => (segment === '.' || segment === '..' ? segment : segment.replace(/[. ]+$/, '')))
    .join('/');
}

/**
 * A tolerant Windows-ish server (HTTP.sys/IIS lineage): `\` and `%5C` are separators, `%uXXXX` and overlong UTF-8
 * are decoded, best-fit maps look-alike slashes and dots, one round of decoding, trailing dots/spaces ignored.
 */
export const windowsTolerant: ReferenceParser = (target) => {
  const withoutAuthority = lenientStripAbsoluteForm(target);
  const query = withoutAuthority.indexOf('?');
  const path = (query === -1 ? withoutAuthority : withoutAuthority.slice(0, query)).replace(/\\/g, '/');
  const decoded = decodeOnceWindows(path).replace(/\\/g, '/');
  return collapseAndResolve(stripWindowsTrailing(decoded));
};

/**
 * Azure IMDS, as best known. Assumed, because nothing more is documented: IMDS matches its routes
 * case-insensitively and tolerates a trailing slash (both modelled in `isTokenEndpoint`/`isInstancePath`), sits on
 * a Windows HTTP stack (so everything `windowsTolerant` does), and how many rounds of decoding happen between the
 * front end and the route table is unknown. So this model is the most lenient one: Windows-style decoding repeated
 * until stable, `;params` stripped, the path cut at a decoded NUL (C string), then `//` collapsed and dots resolved.
 * The "union of the lenient ones" is realised by the differential's rule that *any* parser's reading counts.
 */
export const azureImdsAssumed: ReferenceParser = (target) => {
  const withoutAuthority = lenientStripAbsoluteForm(target);
  const query = withoutAuthority.indexOf('?');
  let path = (query === -1 ? withoutAuthority : withoutAuthority.slice(0, query)).replace(/\\/g, '/');
  for (let round = 0; round < 64; round++) {
    const next = decodeOnceWindows(path).replace(/\\/g, '/');
    if (next === path) break;
    path = next;
  }
  const nul = path.indexOf('\0');
  if (nul !== -1) path = path.slice(0, nul);
  const withoutParams = path
    .split('/')
    .map((segment) => segment.replace(/;.*$/s, ''))
    .join('/');
  return collapseAndResolve(stripWindowsTrailing(withoutParams));
};

/** Every reference parser by name (the name shows up in failure reports). */
export const REFERENCE_PARSERS: Readonly<Record<string, ReferenceParser>> = {
  'whatwg-pathname': whatwgPathname,
  'whatwg-pathname-decoded': whatwgPathnameDecoded,
  'rfc3986-remove-dot-segments': rfc3986,
  'rfc3986-decode-then-dots': rfc3986DecodeThenDots,
  'rfc3986-dots-then-decode': rfc3986DotsThenDecode,
  'go-url-path-clean': goDecodedPathClean,
  'go-escaped-path-clean': goEscapedPathClean,
  'decode-then-clean': decodeThenClean,
  'decode-whole-target-then-clean': decodeWholeTargetThenClean,
  'servlet-style': servletStyle,
  'raw-origin-path': rawOriginPath,
  'windows-tolerant': windowsTolerant,
  'azure-imds-assumed': azureImdsAssumed,
};

// ---------------------------------------------------------------------------------------------------------------
// What a reading means
// ---------------------------------------------------------------------------------------------------------------

/**
 * The token endpoint as IMDS may match it: case-insensitive, with a trailing slash, **or any suffix**. Whether
 * Azure's IMDS matches the route exactly is not documented; upstream NMI's own route 1 is a prefix match and the
 * emulated IMDS issues tokens for `/metadata/identity/oauth2/token/anything`, so a prefix is what counts.
 */
export function isTokenEndpoint(path: string | null): boolean {
  return path !== null && /^\/metadata\/identity\/oauth2\/token/i.test(path);
}

/** The instance document or anything under it (what `--block-instance-metadata` must keep from pods). */
export function isInstancePath(path: string | null): boolean {
  return path !== null && /^\/metadata\/instance(?:\/|$)/i.test(path);
}

/** Inside an `--allowed-metadata-paths` list: an entry itself, or below it at a segment boundary; case-insensitive. */
export function isAllowed(path: string | null, allowList: readonly string[]): boolean {
  if (path === null) return true; // that server refuses the request: nothing is served outside the list
  const folded = path.toLowerCase();
  return allowList.some((entry) => {
    const prefix = entry.toLowerCase().replace(/\/+$/, '');
    return folded === prefix || folded.startsWith(`${prefix}/`);
  });
}

export interface TargetReadings {
  /** parser name → path it routes on (null: refused). */
  readonly byParser: Readonly<Record<string, string | null>>;
  /** Names of the parsers reading the target as the token endpoint. */
  readonly token: readonly string[];
  /** Names of the parsers reading it as the instance document (or below). */
  readonly instance: readonly string[];
}

export function readTarget(target: string): TargetReadings {
  const byParser: Record<string, string | null> = {};
  const token: string[] = [];
  const instance: string[] = [];
  for (const [name, parse] of Object.entries(REFERENCE_PARSERS)) {
    const path = parse(target);
    byParser[name] = path;
    if (isTokenEndpoint(path)) token.push(name);
    if (isInstancePath(path)) instance.push(name);
  }
  return { byParser, token, instance };
}

/** Names of the parsers that read the target as something outside the allow-list (refusals do not count). */
export function outsideAllowList(readings: TargetReadings, allowList: readonly string[]): string[] {
  return Object.entries(readings.byParser)
    .filter(([, path]) => !isAllowed(path, allowList))
    .map(([name]) => name);
}
