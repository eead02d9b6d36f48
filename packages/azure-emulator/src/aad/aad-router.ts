import type { IncomingMessage, ServerResponse } from 'node:http';
import { countRequest, type EmulatorContext } from '../emulator-context.js';
import { readBody, sendJson } from '../http/json-response.js';
import type { ServicePrincipalRecord, UserAssignedIdentityRecord } from '../state/azure-state.js';
import { FederatedCredentialStore } from '../state/federated-credentials.js';
import { AadError, missingParameter } from './aad-error.js';
import { verifyClientAssertion } from './client-assertion.js';
import { FederatedAssertionVerifier } from './federated-assertion.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_PATH = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token\/?$/i;
const OIDC_PATH = /^\/([^/]+)\/(v2\.0\/)?\.well-known\/openid-configuration\/?$/i;
const KEYS_PATH = /^\/([^/]+)\/discovery\/(v2\.0\/)?keys\/?$/i;
const INSTANCE_DISCOVERY_PATH = /^\/common\/discovery\/instance\/?$/i;

/** The tenant-scoped issuer the emulator writes into tokens and its OIDC metadata. */
export function issuerFor(aadUrl: string, tenantId: string): string {
  return `${aadUrl}/${tenantId}/v2.0`;
}

/**
 * The emulated Entra ID (AAD): client-credentials token endpoints (v1 and v2, secret or certificate
 * assertion), OIDC metadata, JWKS and instance discovery.
 */
export class AadRouter {
  private readonly federated: FederatedAssertionVerifier;

  constructor(private readonly ctx: EmulatorContext) {
    this.federated = new FederatedAssertionVerifier(ctx.now);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const url = new URL(req.url ?? '/', this.ctx.urls.aad);
      const token = TOKEN_PATH.exec(url.pathname);
      if (token) {
        countRequest(this.ctx, 'aad_token');
        if (method !== 'POST') {
          throw new AadError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
        }
        const body = await readBody(req);
        const fault = this.ctx.aadFaults.take('aad_token');
        if (fault) {
          sendJson(
            res,
            fault.status,
            new AadError(fault.status, 'temporarily_unavailable', 90033, 'A transient error has occurred.').toBody(
              new Date(this.ctx.now()),
            ),
            { 'Retry-After': String(fault.retryAfterSeconds) },
          );
          return;
        }
        const v2 = token[2] !== undefined;
        sendJson(res, 200, await this.issueToken(token[1]!, v2, new URLSearchParams(body)), {
          'Cache-Control': 'no-store, no-cache',
        });
        return;
      }
      if (method !== 'GET') throw new AadError(404, 'invalid_request', 90002, 'The requested endpoint was not found.');
      const oidc = OIDC_PATH.exec(url.pathname);
      if (oidc) {
        this.requireTenant(oidc[1]!);
        sendJson(res, 200, this.openIdConfiguration(oidc[1]!));
        return;
      }
      if (KEYS_PATH.test(url.pathname)) {
        sendJson(res, 200, this.ctx.signer.jwks());
        return;
      }
      if (INSTANCE_DISCOVERY_PATH.test(url.pathname)) {
        sendJson(res, 200, this.instanceDiscovery());
        return;
      }
      throw new AadError(404, 'invalid_request', 90002, `The endpoint '${url.pathname}' was not found.`);
    } catch (error) {
      const aadError =
        error instanceof AadError ? error : new AadError(500, 'server_error', 90000, 'An internal error occurred.');
      sendJson(res, aadError.status, aadError.toBody(new Date(this.ctx.now())));
    }
  }

  private requireTenant(tenantId: string): void {
    if (!this.ctx.state.hasTenant(tenantId)) {
      throw new AadError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenantId}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
  }

  private tokenEndpoints(tenantId: string): Set<string> {
    const base = `${this.ctx.urls.aad}/${tenantId}`.toLowerCase();
    return new Set([`${base}/oauth2/v2.0/token`, `${base}/oauth2/token`, `${base}/`, base, `${base}/v2.0`]);
  }

  private async issueToken(tenantId: string, v2: boolean, form: URLSearchParams): Promise<Record<string, unknown>> {
    this.requireTenant(tenantId);
    const grantType = form.get('grant_type');
    if (!grantType) throw missingParameter('grant_type');
    if (grantType !== 'client_credentials') {
      throw new AadError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const clientId = form.get('client_id');
    if (!clientId) throw missingParameter('client_id');
    const audience = v2 ? this.audienceFromScope(form.get('scope')) : this.audienceFromResource(form.get('resource'));
    const sp = this.ctx.state.getServicePrincipal(tenantId, clientId);
    // A user-assigned identity is an app AAD knows by client ID; it can only sign in with a federated credential.
    const identity = sp ? undefined : this.ctx.state.findUserAssignedIdentityByClientId(tenantId, clientId);
    if (!sp && !identity) {
      throw new AadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const assertion = form.get('client_assertion');
    const federated =
      assertion !== null &&
      form.get('client_assertion_type') === JWT_BEARER &&
      (identity !== undefined || FederatedAssertionVerifier.isFederated(assertion, clientId));
    if (federated) {
      await this.federated.verify(assertion, this.federatedCredentialsOf(tenantId, clientId, identity));
    } else if (sp) {
      this.authenticateClient(sp, form);
    } else {
      throw new AadError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const subject = identity ?? sp!;
    const { token, claims } = this.ctx.signer.sign(
      {
        aud: audience,
        iss: issuerFor(this.ctx.urls.aad, subject.tenantId),
        tid: subject.tenantId,
        appid: subject.clientId,
        azp: subject.clientId,
        oid: identity ? identity.principalId : sp!.objectId,
        sub: identity ? identity.principalId : sp!.objectId,
        idtyp: 'app',
        ver: v2 ? '2.0' : '1.0',
        // The same claims as the token IMDS issues for this identity, so applications cannot tell the difference.
        ...(identity ? { xms_mirid: identity.id } : {}),
      },
      this.ctx.tokenLifetimeSeconds,
    );
    const expiresIn = claims.exp - Math.floor(this.ctx.now() / 1000);
    if (v2) {
      return { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token };
    }
    return {
      token_type: 'Bearer',
      expires_in: String(expiresIn),
      ext_expires_in: String(expiresIn),
      expires_on: String(claims.exp),
      not_before: String(claims.nbf),
      resource: form.get('resource')!,
      access_token: token,
    };
  }

  /** A user-assigned identity's credentials (ARM), or an app registration's (seeded through the admin API). */
  private federatedCredentialsOf(tenantId: string, clientId: string, identity: UserAssignedIdentityRecord | undefined) {
    const store = this.ctx.state.federatedCredentials;
    return identity
      ? store.list(FederatedCredentialStore.identityOwner(identity.id))
      : store.list(FederatedCredentialStore.appOwner(tenantId, clientId));
  }

  private audienceFromScope(scope: string | null): string {
    if (!scope) throw missingParameter('scope');
    const scopes = scope.split(' ').filter((s) => s.length > 0 && !['openid', 'profile', 'offline_access'].includes(s));
    if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default')) {
      throw new AadError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    return scopes[0]!.slice(0, -'/.default'.length);
  }

  private audienceFromResource(resource: string | null): string {
    if (!resource) throw missingParameter('resource');
    return resource;
  }

  private authenticateClient(sp: ServicePrincipalRecord, form: URLSearchParams): void {
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (!sp.secrets.includes(secret)) {
        throw new AadError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${sp.clientId}'.`,
        );
      }
      return;
    }
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== JWT_BEARER) {
        throw new AadError(
          401,
          'invalid_client',
          7000216,
          "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type; 'client_assertion_type' must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
        );
      }
      verifyClientAssertion(assertion, sp, this.tokenEndpoints(sp.tenantId), Math.floor(this.ctx.now() / 1000));
      return;
    }
    throw new AadError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }

  private openIdConfiguration(tenantId: string): Record<string, unknown> {
    const base = `${this.ctx.urls.aad}/${tenantId}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: issuerFor(this.ctx.urls.aad, tenantId),
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/openid/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'appid', 'xms_mirid'],
      tenant_region_scope: 'NA',
      cloud_instance_name: new URL(this.ctx.urls.aad).host,
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    };
  }

  private instanceDiscovery(): Record<string, unknown> {
    const host = new URL(this.ctx.urls.aad).host;
    return {
      tenant_discovery_endpoint: `${this.ctx.urls.aad}/{tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  }
}
