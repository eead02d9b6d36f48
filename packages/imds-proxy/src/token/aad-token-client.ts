import type { ConfidentialClientApplication, INetworkModule, NodeAuthOptions } from '@azure/msal-node';
import { NmiError, describeError } from '../errors.js';
import type { Clock } from '../lookup/lookups.js';
import type { IssuedToken } from './issued-token.js';
import type { ServicePrincipalCredential } from './service-principal-secret.js';

/** A federated identity's credential: a client assertion (the pod's service-account token) fetched per use. */
export interface FederatedAssertionCredential {
  readonly kind: 'assertion';
  readonly getAssertion: () => Promise<string>;
}

export interface AadTokenRequest {
  /** `spec.adEndpoint` or the public cloud default, with a trailing slash. */
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly credential: ServicePrincipalCredential | FederatedAssertionCredential;
  /** The caller's `resource`; the v2 scope is `<resource>/.default` (AAD accepts `https://x//.default`). */
  readonly resource: string;
}

export interface AadTokenClientOptions {
  readonly networkClient?: INetworkModule;
  readonly clock: Clock;
}

export interface AadTokenClient {
  getToken(request: AadTokenRequest): Promise<IssuedToken>;
}

/**
 * Endpoint metadata for an authority, built from AAD's fixed URL layout so msal-node skips instance discovery
 * and the OpenID configuration round trip: one POST per token, and any AAD-compatible host works.
 */
function authorityMetadata(authority: string): string {
  return JSON.stringify({
    token_endpoint: `${authority}/oauth2/v2.0/token`,
    authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    issuer: `${authority}/v2.0`,
    jwks_uri: `${authority}/discovery/v2.0/keys`,
  });
}

function credentialOptions(
  credential: ServicePrincipalCredential | FederatedAssertionCredential,
): Partial<NodeAuthOptions> {
  if (credential.kind === 'secret') return { clientSecret: credential.clientSecret };
  if (credential.kind === 'assertion') return { clientAssertion: () => credential.getAssertion() };
  return {
    clientCertificate: {
      thumbprintSha256: credential.certificate.thumbprintSha256,
      privateKey: credential.certificate.privateKeyPem,
      x5c: credential.certificate.certificatePem,
    },
  };
}

/** AAD answered with an error status: 403 (§3.5 step 8). Anything else (network, config): 503. */
function isServerRefusal(error: unknown): boolean {
  return error instanceof Error && error.name === 'ServerError';
}

/** msal-node costs ~18 MiB of RSS; a node whose pods only use managed identities never needs it. */
let msalModule: Promise<typeof import('@azure/msal-node')> | undefined;
const loadMsal = () => {
  msalModule ??= import('@azure/msal-node');
  return msalModule;
};

export function createAadTokenClient(options: AadTokenClientOptions): AadTokenClient {
  async function getToken(request: AadTokenRequest): Promise<IssuedToken> {
    const authority = `${request.authorityHost.replace(/\/+$/, '')}/${request.tenantId}`;
    const msal = await loadMsal();
    let app: ConfidentialClientApplication;
    try {
      app = new msal.ConfidentialClientApplication({
        auth: {
          clientId: request.clientId,
          authority,
          knownAuthorities: [new URL(authority).host],
          authorityMetadata: authorityMetadata(authority),
          ...credentialOptions(request.credential),
        },
        ...(options.networkClient ? { system: { networkClient: options.networkClient } } : {}),
      });
    } catch (error) {
      throw new NmiError('token-unavailable', `invalid service principal configuration: ${describeError(error)}`, {
        cause: error,
      });
    }
    const issuedAtMs = options.clock.now();
    let result: Awaited<ReturnType<ConfidentialClientApplication['acquireTokenByClientCredential']>>;
    try {
      // NMI caches tokens itself (or, with the cache off, must call AAD every time like upstream).
      result = await app.acquireTokenByClientCredential({ scopes: [`${request.resource}/.default`], skipCache: true });
    } catch (error) {
      const code = isServerRefusal(error) ? 'token-refused' : 'token-unavailable';
      throw new NmiError(code, `failed to acquire token from ${authority}: ${describeError(error)}`, { cause: error });
    }
    if (!result?.accessToken || !result.expiresOn) {
      throw new NmiError('token-unavailable', `AAD at ${authority} returned no token`);
    }
    const expiresOnSeconds = Math.floor(result.expiresOn.getTime() / 1000);
    const issuedAtSeconds = Math.floor(issuedAtMs / 1000);
    return {
      accessToken: result.accessToken,
      refreshToken: '',
      expiresIn: String(Math.max(0, expiresOnSeconds - issuedAtSeconds)),
      expiresOn: String(expiresOnSeconds),
      notBefore: String(issuedAtSeconds),
      tokenType: result.tokenType || 'Bearer',
      clientId: request.clientId,
    };
  }
  return { getToken };
}
