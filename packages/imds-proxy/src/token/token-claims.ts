/**
 * The object ID (`oid`) an access token names, read from its JWT payload without verifying the signature: the token
 * comes from IMDS over the node-local channel or from AAD over TLS, the sources NMI trusts anyway, and the claim is
 * only used to decide whether it may be served at all. Undefined for anything that is not a JWT with an `oid`.
 */
export function accessTokenObjectId(accessToken: string): string | undefined {
  const first = accessToken.indexOf('.');
  const second = first === -1 ? -1 : accessToken.indexOf('.', first + 1);
  if (first <= 0 || second === -1) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(accessToken.slice(first + 1, second), 'base64url').toString('utf8')) as {
      oid?: unknown;
    };
    return typeof payload.oid === 'string' && payload.oid !== '' ? payload.oid : undefined;
  } catch {
    return undefined;
  }
}
