import { compactVerify, importJWK, type JSONWebKeySet } from 'jose';
import type { FederatedCredentialRecord } from '../state/federated-credentials.js';
import { AadError } from './aad-error.js';
import { decodeJwt } from './token-signer.js';

/**
 * Workload identity federation as AAD checks it: the client assertion is a token from an external OIDC issuer (a
 * Kubernetes service-account token). It must match one of the client's federated credentials by issuer, subject and
 * audience (exact, case-sensitive), be RS256-signed by a key in the JWKS the issuer's discovery document names (fetched
 * over HTTP(S), as AAD does), and be within its validity time. Refusals carry AAD's AADSTS codes.
 */

/** How long an issuer's keys are reused before they are fetched again (an unknown `kid` refetches at once). */
const KEY_CACHE_MS = 5 * 60_000;
/** Clock skew AAD tolerates on `nbf`. */
const NOT_BEFORE_SKEW_SECONDS = 300;
const FETCH_TIMEOUT_MS = 10_000;

const MATCHING_ADVICE =
  'Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.';

function invalidRequest(code: number, description: string): AadError {
  return new AadError(400, 'invalid_request', code, description);
}

function invalidClient(code: number, description: string): AadError {
  return new AadError(401, 'invalid_client', code, description);
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export type FetchJson = (url: string) => Promise<unknown>;

async function defaultFetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

export class FederatedAssertionVerifier {
  private readonly keysByIssuer = new Map<string, { keys: JSONWebKeySet; fetchedAt: number }>();

  constructor(
    private readonly now: () => number,
    private readonly fetchJson: FetchJson = defaultFetchJson,
  ) {}

  /** True when the assertion names an external issuer (not the client itself, as a certificate assertion does). */
  static isFederated(assertion: string, clientId: string): boolean {
    const iss = decodeJwt(assertion)?.payload['iss'];
    return typeof iss === 'string' && iss.toLowerCase() !== clientId.toLowerCase();
  }

  async verify(assertion: string, credentials: readonly FederatedCredentialRecord[]): Promise<void> {
    const decoded = decodeJwt(assertion);
    if (!decoded) throw invalidRequest(50027, 'JWT token is invalid or malformed.');
    const { header, payload } = decoded;
    if (header['alg'] !== 'RS256') {
      throw invalidClient(
        5002738,
        `Invalid JWT token. '${String(header['alg'])}' is not a supported signature algorithm.`,
      );
    }
    const iss = typeof payload['iss'] === 'string' ? payload['iss'] : '';
    const sub = typeof payload['sub'] === 'string' ? payload['sub'] : '';
    const audiences = (Array.isArray(payload['aud']) ? payload['aud'] : [payload['aud']]).filter(
      (a): a is string => typeof a === 'string',
    );
    this.matchCredential(credentials, iss, sub, audiences);
    await this.verifySignature(assertion, iss, typeof header['kid'] === 'string' ? header['kid'] : undefined);
    const nowSeconds = Math.floor(this.now() / 1000);
    const exp = payload['exp'];
    const nbf = typeof payload['nbf'] === 'number' ? payload['nbf'] : undefined;
    if (
      typeof exp !== 'number' ||
      nowSeconds >= exp ||
      (nbf !== undefined && nowSeconds + NOT_BEFORE_SKEW_SECONDS < nbf)
    ) {
      throw invalidClient(
        700024,
        `Client assertion is not within its valid time range. Current time: ${isoSeconds(nowSeconds)}, assertion valid from ${nbf === undefined ? 'unspecified' : isoSeconds(nbf)}, expiry time of assertion ${typeof exp === 'number' ? isoSeconds(exp) : 'unspecified'}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
      );
    }
  }

  private matchCredential(
    credentials: readonly FederatedCredentialRecord[],
    iss: string,
    sub: string,
    audiences: readonly string[],
  ): void {
    if (credentials.length === 0) {
      throw invalidRequest(
        70021,
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${audiences.join(',')}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
      );
    }
    const byIssuer = credentials.filter((c) => c.issuer === iss);
    if (byIssuer.length === 0) {
      throw invalidRequest(
        700211,
        `No matching federated identity record found for presented assertion issuer '${iss}'. ${MATCHING_ADVICE}`,
      );
    }
    const bySubject = byIssuer.filter((c) => c.subject === sub);
    if (bySubject.length === 0) {
      throw invalidRequest(
        700213,
        `No matching federated identity record found for presented assertion subject '${sub}'. ${MATCHING_ADVICE}`,
      );
    }
    if (!bySubject.some((c) => c.audiences.some((a) => audiences.includes(a)))) {
      throw invalidRequest(
        700212,
        `No matching federated identity record found for presented assertion audience '${audiences.join(',')}'. ${MATCHING_ADVICE}`,
      );
    }
  }

  private async verifySignature(assertion: string, issuer: string, kid: string | undefined): Promise<void> {
    let keys = await this.keysOf(issuer, false);
    if (kid !== undefined && !keys.keys.some((k) => k.kid === kid)) keys = await this.keysOf(issuer, true);
    // Candidates picked by `kid` (every RSA key when the header has none), each tried as an RS256 key.
    const candidates = keys.keys.filter((k) => k.kty === 'RSA' && (kid === undefined || k.kid === kid));
    for (const jwk of candidates) {
      try {
        await compactVerify(assertion, await importJWK(jwk, 'RS256'), { algorithms: ['RS256'] });
        return;
      } catch {
        // Try the next key; none verifying is the refusal below.
      }
    }
    throw invalidClient(700027, 'Client assertion failed signature validation.');
  }

  private async keysOf(issuer: string, refresh: boolean): Promise<JSONWebKeySet> {
    const cached = this.keysByIssuer.get(issuer);
    if (cached !== undefined && !refresh && this.now() - cached.fetchedAt < KEY_CACHE_MS) return cached.keys;
    const oidcFailure = (why: string) =>
      invalidRequest(50166, `Request to External OIDC endpoint failed. Issuer: '${issuer}'. ${why}`);
    let discoveryUrl: string;
    try {
      const base = new URL(issuer);
      if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('not an HTTP(S) URL');
      discoveryUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    } catch {
      throw oidcFailure('The issuer is not an HTTP(S) URL.');
    }
    let jwksUri: unknown;
    try {
      const discovery = (await this.fetchJson(discoveryUrl)) as Record<string, unknown>;
      if (discovery['issuer'] !== issuer) throw new Error('issuer mismatch');
      jwksUri = discovery['jwks_uri'];
    } catch {
      throw oidcFailure('The OpenID Connect discovery document could not be read or names another issuer.');
    }
    if (typeof jwksUri !== 'string') throw oidcFailure('The discovery document has no jwks_uri.');
    let keys: JSONWebKeySet;
    try {
      keys = (await this.fetchJson(jwksUri)) as JSONWebKeySet;
      if (!Array.isArray(keys.keys)) throw new Error('no keys');
    } catch {
      throw oidcFailure('The signing keys (jwks_uri) could not be read.');
    }
    this.keysByIssuer.set(issuer, { keys, fetchedAt: this.now() });
    return keys;
  }
}
