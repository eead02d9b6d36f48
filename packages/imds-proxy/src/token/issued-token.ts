/**
 * A token as NMI hands it out (§3.5): every field a string, as IMDS and ADAL produced them. `resource` is not
 * stored: the response always echoes the caller's own `resource` value byte for byte (MSAL's cache key).
 */
export interface IssuedToken {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: string;
  /** Unix seconds. */
  readonly expiresOn: string;
  /** Unix seconds. */
  readonly notBefore: string;
  readonly tokenType: string;
  readonly clientId: string;
}

/** One acquisition: a single token, or primary + auxiliary tenants for a multi-tenant service principal. */
export interface TokenSet {
  /** Primary first. Never empty. */
  readonly tokens: readonly IssuedToken[];
  /** Earliest expiry of the set, epoch milliseconds. */
  readonly expiresOnMs: number;
}

export function tokenSetOf(tokens: readonly IssuedToken[]): TokenSet {
  const expiresOnMs = Math.min(...tokens.map((token) => Number(token.expiresOn) * 1000));
  return { tokens, expiresOnMs: Number.isFinite(expiresOnMs) ? expiresOnMs : 0 };
}

/** The IMDS JSON object for one token (field order as upstream's msiResponse, plus `client_id` like IMDS). */
export function msiResponseObject(token: IssuedToken, resource: string, expiresIn: string): Record<string, string> {
  return {
    access_token: token.accessToken,
    refresh_token: token.refreshToken,
    expires_in: expiresIn,
    expires_on: token.expiresOn,
    not_before: token.notBefore,
    resource,
    token_type: token.tokenType,
    client_id: token.clientId,
  };
}
