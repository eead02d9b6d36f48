import { request } from 'node:https';

/** Structurally `@azure/core-auth`'s TokenCredential (this package does not depend on the Azure SDK). */
export interface EmulatorTokenCredential {
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }>;
}

export interface ClientSecretCredentialOptions {
  /** The emulator's AAD URL (`emulator.aadUrl`). */
  aadUrl: string;
  /** PEM of the emulator's CA (`emulator.caCertPem`). */
  caCertPem: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export class TokenRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

/**
 * A minimal client-credentials TokenCredential for the ARM SDKs in tests and the sandbox: it asks the emulated
 * AAD's v2 endpoint over HTTPS (trusting the emulator's CA) and caches each scope's token until 5 minutes
 * before it expires. Production code uses msal-node / @azure/identity instead.
 */
export function createClientSecretCredential(options: ClientSecretCredentialOptions): EmulatorTokenCredential {
  const cache = new Map<string, { token: string; expiresOnTimestamp: number }>();
  return {
    async getToken(scopes) {
      const scope = (Array.isArray(scopes) ? scopes : [scopes]).join(' ');
      const cached = cache.get(scope);
      if (cached && cached.expiresOnTimestamp - 300_000 > Date.now()) return cached;
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: options.clientId,
        client_secret: options.clientSecret,
        scope,
      }).toString();
      const { status, json } = await postForm(
        `${options.aadUrl}/${options.tenantId}/oauth2/v2.0/token`,
        body,
        options.caCertPem,
      );
      if (status !== 200 || typeof json['access_token'] !== 'string') {
        throw new TokenRequestError(
          String(json['error'] ?? 'token_request_failed'),
          String(json['error_description'] ?? `token endpoint answered ${status}`),
          status,
        );
      }
      const fresh = { token: json['access_token'], expiresOnTimestamp: Date.now() + Number(json['expires_in']) * 1000 };
      cache.set(scope, fresh);
      return fresh;
    },
  };
}

function postForm(url: string, body: string, ca: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
