import { constants, createVerify, X509Certificate } from 'node:crypto';
import type { ServicePrincipalRecord } from '../state/azure-state.js';
import { AadError } from './aad-error.js';
import { decodeJwt } from './token-signer.js';

function invalidClient(code: number, description: string): AadError {
  return new AadError(401, 'invalid_client', code, description);
}

/**
 * Checks a `client_assertion` (RFC 7523 JWT bearer) the way AAD does: signed with RS256 or PS256 by a
 * certificate registered on the service principal (found by its `x5t` / `x5t#S256` header), `iss` and
 * `sub` equal to the client ID, `aud` naming this tenant's token endpoint, and within its validity time.
 */
export function verifyClientAssertion(
  assertion: string,
  sp: ServicePrincipalRecord,
  acceptedAudiences: Set<string>,
  nowSeconds: number,
): void {
  const decoded = decodeJwt(assertion);
  if (!decoded) throw invalidClient(50027, 'JWT token is invalid or malformed.');
  const { header, payload } = decoded;
  const alg = header['alg'];
  if (alg !== 'RS256' && alg !== 'PS256') {
    throw invalidClient(5002738, `Invalid JWT token. '${String(alg)}' is not a supported signature algorithm.`);
  }
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const x5t = typeof header['x5t'] === 'string' ? header['x5t'] : undefined;
  const cert = sp.certificates.find(
    (c) => (x5tS256 !== undefined && c.x5tS256 === x5tS256) || (x5t !== undefined && c.x5t === x5t),
  );
  if (!cert) {
    throw invalidClient(
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${x5tS256 ?? x5t ?? ''}']`,
    );
  }
  const publicKey = new X509Certificate(cert.certificatePem).publicKey;
  const verifier = createVerify('RSA-SHA256').update(decoded.signingInput);
  const valid =
    alg === 'RS256'
      ? verifier.verify(publicKey, decoded.signature)
      : verifier.verify(
          { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          decoded.signature,
        );
  if (!valid) throw invalidClient(700027, 'Client assertion failed signature validation.');
  if (payload['iss'] !== sp.clientId || payload['sub'] !== sp.clientId) {
    throw invalidClient(700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
  }
  const audiences = Array.isArray(payload['aud']) ? payload['aud'] : [payload['aud']];
  if (!audiences.some((a) => typeof a === 'string' && acceptedAudiences.has(a.toLowerCase()))) {
    throw invalidClient(700212, 'No matching federated identity record found for presented assertion audience.');
  }
  const exp = payload['exp'];
  const nbf = payload['nbf'];
  if (typeof exp !== 'number' || nowSeconds >= exp || (typeof nbf === 'number' && nowSeconds + 300 < nbf)) {
    throw invalidClient(700024, 'Client assertion is not within its valid time range.');
  }
}
