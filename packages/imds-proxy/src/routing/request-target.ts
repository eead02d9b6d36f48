/**
 * Request targets NMI will act on, in one canonical form (CVE-2022-23551 and the pass-through bypasses of issue 14).
 *
 * NMI used to decide a route on its own normalisation of the path (decoding, `\` to `/`, dot segments) and then
 * forward the raw target to IMDS. Wherever that normalisation and the IMDS side's parser disagreed, a token request
 * was classified as harmless pass-through and reached IMDS as a token request. No normaliser can agree with every
 * parser (WHATWG keeps empty segments, Go cleans them, some servers decode `%2F`, some decode twice, Windows strips
 * trailing dots), so NMI no longer normalises: it accepts only targets that every one of those parsers reads the
 * same way, and refuses everything else with 400 before any routing. The bytes it forwards are the bytes it checked.
 *
 * A canonical target:
 * - is origin-form (`/path?query`), or absolute-form `http://authority/path?query`, which is reduced to its
 *   origin-form part (the only part forwarded);
 * - has a path made of `/`-separated segments of `A–Z a–z 0–9 - . _ ~` only: no percent-encoding at all (no IMDS
 *   path needs it), no `\`, no empty segment except a single trailing slash, no `.`/`..` segment and no segment
 *   ending in `.` (Windows path handling strips trailing dots);
 * - has a query of printable ASCII only (no space, control byte, `#` or non-ASCII): escapes there are fine, the query
 *   is never read as path by anyone, but bytes `http.request` refuses would throw.
 */

export type TargetRoute = 'token' | 'invalid-token-path' | 'host-token' | 'instance' | 'pass-through';

export interface CanonicalTarget {
  readonly canonical: true;
  readonly route: TargetRoute;
  /** The path exactly as received (origin-form part), case kept. */
  readonly path: string;
  /** `path` lower-cased: what routing and the allow-list compare. */
  readonly foldedPath: string;
  /** The raw query without its `?` (empty when there is none). */
  readonly rawQuery: string;
  /** Exactly what NMI sends to IMDS when it forwards this request: the origin-form target as received. */
  readonly forwardTarget: string;
}

export interface RefusedTarget {
  readonly canonical: false;
  /** Why, for the request log (never sent to the client: the answer is upstream's `Invalid request`). */
  readonly reason: string;
}

export type ParsedTarget = CanonicalTarget | RefusedTarget;

/** One path segment: unreserved characters only (RFC 3986 §2.3). */
const SEGMENT = /^[A-Za-z0-9._~-]+$/;
/** Printable ASCII except space and `#` (a fragment has no place in a request target, RFC 9112 §3.2). */
const QUERY = /^[\x21-\x22\x24-\x7e]*$/;
/** `http://` + an authority with no path, query, userinfo or backslash characters. */
const ABSOLUTE_FORM = /^[hH][tT][tT][pP]:\/\/([^/?#@\\\s]+)(\/.*)?$/s;

/** The token endpoint, first segment case-insensitive as upstream's route 1, optional trailing slash. */
const PLAIN_TOKEN_PATH = /^\/[mM][eE][tT][aA][dD][aA][tT][aA]\/identity\/oauth2\/token\/?$/;
/**
 * Upstream's guard (route 2), on the folded path and widened to the whole of it: any other spelling that mentions
 * the token endpoint (`/metadata/Identity/...`, `tokenX`, `/token/extra`) is refused rather than proxied.
 */
const TOKEN_LOOKALIKE = /metadata\/identity.*oauth2.*token/;
const TOKEN_PREFIX = '/metadata/identity/oauth2/token';
const IDENTITY_PREFIX = '/metadata/identity';

function refuse(reason: string): RefusedTarget {
  return { canonical: false, reason };
}

/** Why `path` is not canonical, or undefined when it is. */
export function nonCanonicalPathReason(path: string): string | undefined {
  if (path.length === 0 || path.charCodeAt(0) !== 0x2f) return 'path does not start with /';
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  const last = segments.length - 1;
  for (let index = 0; index <= last; index++) {
    const segment = segments[index] as string;
    if (segment.length === 0) {
      if (index === last) continue; // one trailing slash: `/metadata/identity/oauth2/token/` is what msal sends
      return 'empty path segment';
    }
    if (!SEGMENT.test(segment)) {
      return segment.includes('%') ? 'percent-encoded path' : 'character not allowed in a path';
    }
    if (segment === '.' || segment === '..') return 'dot segment';
    if (segment.charCodeAt(segment.length - 1) === 0x2e) return 'path segment ending in a dot';
  }
  return undefined;
}

function routeOf(path: string, foldedPath: string): TargetRoute {
  if (foldedPath.startsWith(TOKEN_PREFIX) || TOKEN_LOOKALIKE.test(foldedPath)) {
    return PLAIN_TOKEN_PATH.test(path) ? 'token' : 'invalid-token-path';
  }
  // Everything else IMDS serves under /metadata/identity is about the node's own identities, and some of it issues
  // credentials: MSI v2's `issuecredential` answers a CSR with an X.509 credential of the VM's identity, which the
  // caller trades for tokens at Entra ID with no NMI in the way. A pod gets identities only through the token route.
  if (foldedPath.startsWith(IDENTITY_PREFIX)) return 'invalid-token-path';
  // A plain prefix, as upstream's mux (`/host/tokenfoo` reaches the host handler, which checks its caller).
  if (path.startsWith('/host/token')) return 'host-token';
  if (foldedPath.startsWith('/metadata/instance')) return 'instance';
  return 'pass-through';
}

/** Reads a request target (`req.url`) as NMI acts on it: canonical and routed, or refused. Pure. */
export function parseRequestTarget(target: string): ParsedTarget {
  let originForm = target;
  if (target.charCodeAt(0) !== 0x2f) {
    const absolute = ABSOLUTE_FORM.exec(target);
    if (!absolute) return refuse('request target is neither origin-form nor http absolute-form');
    originForm = absolute[2] ?? '/';
  }
  const queryStart = originForm.indexOf('?');
  const path = queryStart === -1 ? originForm : originForm.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : originForm.slice(queryStart + 1);
  const pathProblem = nonCanonicalPathReason(path);
  if (pathProblem) return refuse(pathProblem);
  if (rawQuery.length > 0 && !QUERY.test(rawQuery)) return refuse('character not allowed in a query');
  const foldedPath = path.toLowerCase();
  return {
    canonical: true,
    route: routeOf(path, foldedPath),
    path,
    foldedPath,
    rawQuery,
    forwardTarget: originForm,
  };
}

/**
 * Whether a canonical folded path lies under one of the allowed prefixes (whole segments: `/metadata/instance`
 * allows `/metadata/instance/compute`, not `/metadata/instancex`).
 */
export function isAllowedPath(foldedPath: string, allowedPrefixes: readonly string[]): boolean {
  return allowedPrefixes.some(
    (prefix) =>
      prefix === '/' || foldedPath === prefix || foldedPath === `${prefix}/` || foldedPath.startsWith(`${prefix}/`),
  );
}

/**
 * Reads `--allowed-metadata-paths` entries: each must itself be a canonical path (so it can only ever be compared
 * with canonical paths); returned folded and without a trailing slash. Throws with the entry named otherwise.
 */
export function parseAllowedPaths(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    const problem = nonCanonicalPathReason(entry);
    if (problem) throw new Error(`allowed metadata path "${entry}" is not a canonical path: ${problem}`);
    return entry.toLowerCase().replace(/\/+$/, '') || '/';
  });
}
