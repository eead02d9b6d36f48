import { createHash, createSign, createVerify, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

/** Claims the emulator puts into (and reads back from) its access tokens. */
export interface AccessTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  oid: string;
  sub: string;
  iat: number;
  nbf: number;
  exp: number;
  ver: string;
  idtyp?: string;
  xms_mirid?: string;
  [claim: string]: unknown;
}

export type TokenVerification =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'notYetValid'; claims?: AccessTokenClaims };

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Parses a compact JWS into its parts without verifying it. */
export function decodeJwt(
  token: string,
):
  | { header: Record<string, unknown>; payload: Record<string, unknown>; signingInput: string; signature: Buffer }
  | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') return undefined;
    return {
      header: header as Record<string, unknown>,
      payload: payload as Record<string, unknown>,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/**
 * The emulated AAD's signing key: issues RS256 access tokens and publishes the matching JWKS, so relying
 * parties (the emulated ARM, or a test with jose) verify tokens exactly as they would against Entra ID.
 */
export class TokenSigner {
  readonly keyId: string;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  static async create(nowMs: () => number): Promise<TokenSigner> {
    const pair = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    return new TokenSigner(nowMs, pair.privateKey, pair.publicKey);
  }

  private constructor(
    private readonly nowMs: () => number,
    privateKey: KeyObject,
    publicKey: KeyObject,
  ) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    const der = this.publicKey.export({ type: 'spki', format: 'der' });
    this.keyId = base64url(createHash('sha256').update(der).digest()).slice(0, 27);
  }

  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.keyId, use: 'sig', alg: 'RS256' }] };
  }

  sign(
    claims: Omit<AccessTokenClaims, 'iat' | 'nbf' | 'exp'>,
    lifetimeSeconds: number,
  ): {
    token: string;
    claims: AccessTokenClaims;
  } {
    const now = Math.floor(this.nowMs() / 1000);
    // AAD back-dates nbf/iat by five minutes to tolerate clock skew between services.
    const full = { ...claims, iat: now - 300, nbf: now - 300, exp: now + lifetimeSeconds } as AccessTokenClaims;
    const header = { typ: 'JWT', alg: 'RS256', kid: this.keyId };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(full))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(this.privateKey);
    return { token: `${signingInput}.${base64url(signature)}`, claims: full };
  }

  verify(token: string): TokenVerification {
    const decoded = decodeJwt(token);
    if (decoded?.header['alg'] !== 'RS256') return { ok: false, reason: 'malformed' };
    const valid = createVerify('RSA-SHA256').update(decoded.signingInput).verify(this.publicKey, decoded.signature);
    if (!valid) return { ok: false, reason: 'signature' };
    const claims = decoded.payload as AccessTokenClaims;
    if (typeof claims.exp !== 'number' || typeof claims.nbf !== 'number') return { ok: false, reason: 'malformed' };
    const now = Math.floor(this.nowMs() / 1000);
    if (now >= claims.exp) return { ok: false, reason: 'expired', claims };
    if (now < claims.nbf) return { ok: false, reason: 'notYetValid', claims };
    return { ok: true, claims };
  }
}
