import { normalisePath } from './normalise-path.js';

/**
 * The five routes of §3.2, decided on the normalised path:
 * - `token`: the token endpoint spelt plainly (first segment `metadata` in any case, optional trailing slash);
 * - `invalid-token-path`: anything else that IMDS could read as the token endpoint → 400, never proxied;
 * - `host-token`: `/host/token` and `/host/token/...` (prefix, as upstream);
 * - `instance`: `/metadata/instance...` (blocked only when configured);
 * - `pass-through`: everything else goes to IMDS.
 */
export type RouteKind = 'token' | 'invalid-token-path' | 'host-token' | 'instance' | 'pass-through';

export interface ClassifiedRoute {
  readonly kind: RouteKind;
  /** The normalised path, case kept (what an allow-list compares and what a filtered proxy forwards). */
  readonly normalisedPath: string;
  readonly foldedPath: string;
}

/** The only spellings served as the token route: upstream's route 1 minus its "any suffix" looseness. */
const PLAIN_TOKEN_PATH = /^\/[mM][eE][tT][aA][dD][aA][tT][aA]\/identity\/oauth2\/token\/?$/;
const CANONICAL_TOKEN_PATH = '/metadata/identity/oauth2/token';
/**
 * Upstream's guard regex (route 2) applied to the normalised, case-folded path and widened to the whole of it,
 * so that `/metadata/Identity/...`, `/metadata/identity/oauth2/tokenX` and similar are refused, not proxied.
 */
const TOKEN_LOOKALIKE = /metadata\/+identity.*oauth2.*token/;

export function classifyRoute(rawPath: string): ClassifiedRoute {
  const { path, folded } = normalisePath(rawPath);
  const base = { normalisedPath: path, foldedPath: folded };
  const looksLikeToken = folded.startsWith(CANONICAL_TOKEN_PATH) || TOKEN_LOOKALIKE.test(folded);
  if (looksLikeToken) {
    // Only the plain spelling with a case-insensitive first segment is served (row 47); `/metadata/Identity/...`
    // was proxied upstream, which is exactly the kind of differential CVE-2022-23551 exploited.
    return { kind: PLAIN_TOKEN_PATH.test(rawPath) ? 'token' : 'invalid-token-path', ...base };
  }
  if (rawPath === '/host/token' || rawPath.startsWith('/host/token/')) return { kind: 'host-token', ...base };
  // Prefix match as upstream, but on the normalised path so `//metadata/./instance` cannot slip past the block.
  if (folded.startsWith('/metadata/instance')) return { kind: 'instance', ...base };
  return { kind: 'pass-through', ...base };
}
