/**
 * Service-account tokens as the real API server issues them: the TokenRequest subresource
 * (`POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`) signs RS256 JWTs with the cluster's key, optionally
 * bound to a pod (refused when the pod is missing, runs another service account, or has another uid), and the OIDC
 * discovery documents (`/.well-known/openid-configuration`, `/openid/v1/jwks`) let a relying party such as AAD verify
 * them without credentials.
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK, SignJWT } from 'jose';
import type { KubeObject } from './resource-types.js';
import type { ResourceService } from './resource-service.js';
import { badRequest, conflict, invalid } from './status-errors.js';

export const OIDC_DISCOVERY_PATH = '/.well-known/openid-configuration';
export const OIDC_JWKS_PATH = '/openid/v1/jwks';

/** The real server's bounds on `spec.expirationSeconds` (10 minutes .. 2^32 s) and its default (1 h). */
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_EXPIRATION_SECONDS = 3600;

const TOKEN_REQUEST_KIND = 'TokenRequest';
const TOKEN_REQUEST_API_VERSION = 'authentication.k8s.io/v1';
const tokenRequestRef = { group: 'authentication.k8s.io', plural: 'tokenrequests' };

export class ServiceAccountTokenIssuer {
  private readonly privateKey: KeyObject;
  private readonly publicJwk: Promise<JWK>;

  /**
   * @param issuer the `iss` of every token, returned lazily because the server's URL is known only once it listens.
   * @param jwksUri where the discovery document says the keys are.
   */
  constructor(
    private readonly issuer: () => string,
    private readonly jwksUri: () => string,
    private readonly now: () => number,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicJwk = (async () => {
      const jwk = await exportJWK(publicKey);
      // The real server's kid is derived from the public key, so it is stable for the key's life.
      const kid = await calculateJwkThumbprint(jwk, 'sha256');
      return { ...jwk, kid, alg: 'RS256', use: 'sig' };
    })();
  }

  openIdConfiguration(): KubeObject {
    return {
      issuer: this.issuer(),
      jwks_uri: this.jwksUri(),
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }

  async jwks(): Promise<KubeObject> {
    return { keys: [await this.publicJwk] };
  }

  /** Handles a TokenRequest for `namespace/name`; answers the TokenRequest object the real server returns (201). */
  async createToken(service: ResourceService, namespace: string, name: string, body: unknown): Promise<KubeObject> {
    const saType = service.types.lookup('', 'v1', 'serviceaccounts')!;
    const serviceAccount = service.get(saType, namespace, name);
    const request = readTokenRequest(body, name);
    const audiences = request.audiences.length > 0 ? request.audiences : [this.issuer()];
    const pod = request.boundObjectRef === undefined ? undefined : this.boundPod(service, namespace, name, request);
    const nowSeconds = Math.floor(this.now() / 1000);
    const exp = nowSeconds + request.expirationSeconds;
    const kubernetesClaims: KubeObject = {
      namespace,
      serviceaccount: { name, uid: serviceAccount['metadata'].uid },
    };
    if (pod !== undefined) {
      kubernetesClaims['pod'] = { name: pod['metadata'].name, uid: pod['metadata'].uid };
      const node = boundNode(service, pod);
      if (node !== undefined) kubernetesClaims['node'] = node;
    }
    const jwk = await this.publicJwk;
    const token = await new SignJWT({ 'kubernetes.io': kubernetesClaims })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid! })
      .setIssuer(this.issuer())
      .setSubject(`system:serviceaccount:${namespace}:${name}`)
      .setAudience(audiences)
      .setIssuedAt(nowSeconds)
      .setNotBefore(nowSeconds)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.privateKey);
    const spec: KubeObject = { audiences, expirationSeconds: request.expirationSeconds, boundObjectRef: null };
    if (request.boundObjectRef !== undefined) {
      spec['boundObjectRef'] = { ...request.boundObjectRef, uid: pod?.['metadata'].uid };
    }
    return {
      kind: TOKEN_REQUEST_KIND,
      apiVersion: TOKEN_REQUEST_API_VERSION,
      metadata: { name, namespace, creationTimestamp: null },
      spec,
      status: { token, expirationTimestamp: new Date(exp * 1000).toISOString().replace('.000Z', 'Z') },
    };
  }

  /** The real registry's checks on a pod reference: it exists, runs this service account, and has the given uid. */
  private boundPod(service: ResourceService, namespace: string, name: string, request: TokenRequestSpec): KubeObject {
    const ref = request.boundObjectRef!;
    if (ref.kind !== 'Pod' || (ref.apiVersion !== undefined && ref.apiVersion !== 'v1')) {
      throw badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${ref.kind}`);
    }
    const podType = service.types.lookup('', 'v1', 'pods')!;
    const pod = service.get(podType, namespace, ref.name);
    if ((pod['spec']?.serviceAccountName ?? 'default') !== name) {
      throw badRequest(
        `cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`,
      );
    }
    if (ref.uid !== undefined && ref.uid !== '' && ref.uid !== pod['metadata'].uid) {
      throw conflict(
        { group: '', plural: 'Pod' },
        ref.name,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
    return pod;
  }
}

function boundNode(service: ResourceService, pod: KubeObject): KubeObject | undefined {
  const nodeName = pod['spec']?.nodeName;
  if (typeof nodeName !== 'string' || nodeName === '') return undefined;
  const nodeType = service.types.lookup('', 'v1', 'nodes')!;
  if (!service.exists(nodeType, '', nodeName)) return undefined;
  return { name: nodeName, uid: service.get(nodeType, '', nodeName)['metadata'].uid };
}

interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef: { kind: string; apiVersion: string | undefined; name: string; uid: string | undefined } | undefined;
}

function readTokenRequest(body: unknown, name: string): TokenRequestSpec {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('TokenRequest in version "v1" cannot be handled as a TokenRequest: expected an object');
  }
  const obj = body as KubeObject;
  if (obj['kind'] !== undefined && obj['kind'] !== TOKEN_REQUEST_KIND) {
    throw badRequest(
      `TokenRequest in version "v1" cannot be handled as a TokenRequest: the kind "${String(obj['kind'])}" does not match "TokenRequest"`,
    );
  }
  const spec: KubeObject = typeof obj['spec'] === 'object' && obj['spec'] !== null ? obj['spec'] : {};
  const audiences = spec['audiences'] ?? [];
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string')) {
    throw badRequest(
      'TokenRequest in version "v1" cannot be handled as a TokenRequest: spec.audiences must be a list of strings',
    );
  }
  const expirationSeconds = spec['expirationSeconds'] ?? DEFAULT_EXPIRATION_SECONDS;
  const invalidExpiration = (why: string) =>
    invalid(tokenRequestRef, TOKEN_REQUEST_KIND, name, [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${JSON.stringify(expirationSeconds)}: ${why}`,
      },
    ]);
  if (!Number.isInteger(expirationSeconds)) throw invalidExpiration('must be an integer');
  if (expirationSeconds < MIN_EXPIRATION_SECONDS)
    throw invalidExpiration('may not specify a duration less than 10 minutes');
  if (expirationSeconds > MAX_EXPIRATION_SECONDS)
    throw invalidExpiration('may not specify a duration larger than 2^32 seconds');
  const rawRef = spec['boundObjectRef'];
  let boundObjectRef: TokenRequestSpec['boundObjectRef'];
  if (typeof rawRef === 'object' && rawRef !== null) {
    if (typeof rawRef['name'] !== 'string' || rawRef['name'] === '') {
      throw invalid(tokenRequestRef, TOKEN_REQUEST_KIND, name, [
        { reason: 'FieldValueRequired', field: 'spec.boundObjectRef.name', message: 'Required value' },
      ]);
    }
    boundObjectRef = {
      kind: String(rawRef['kind'] ?? ''),
      apiVersion: typeof rawRef['apiVersion'] === 'string' ? rawRef['apiVersion'] : undefined,
      name: rawRef['name'],
      uid: typeof rawRef['uid'] === 'string' ? rawRef['uid'] : undefined,
    };
  }
  return { audiences: audiences as string[], expirationSeconds, boundObjectRef };
}
