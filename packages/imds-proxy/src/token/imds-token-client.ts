import http from 'node:http';
import { NmiError, describeError } from '../errors.js';
import type { Clock } from '../lookup/lookups.js';
import { KEEP_ALIVE_AGENT_OPTIONS, isStaleConnectionFailure } from '../upstream-connection.js';
import type { IssuedToken } from './issued-token.js';

export interface ImdsTokenClientOptions {
  /** Where NMI itself reaches IMDS, e.g. `http://169.254.169.254:80` (NMI is on the host network: no DNAT). */
  readonly baseUrl: string;
  readonly clock: Clock;
  /** Attempts per token (ADAL's IMDS policy used 5). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each time. */
  readonly retryDelayMs?: number;
  readonly userAgent?: string;
  /** IMDS allows 5 concurrent managed-identity requests per VM; more sockets would only queue there. */
  readonly maxSockets?: number;
}

export interface ImdsTokenRequest {
  readonly resource: string;
  /** Omitted: the VM's system-assigned identity (exception pods without client_id). */
  readonly clientId?: string;
  /** The `object_id` selector, passed to IMDS as is (excepted pods, which IMDS serves directly). */
  readonly objectId?: string;
}

export interface ImdsTokenClient {
  getToken(request: ImdsTokenRequest, signal: AbortSignal): Promise<IssuedToken>;
  close(): void;
}

/** Statuses IMDS documents as transient (and which the Azure SDKs retry). 400 "Identity not found" is final. */
function isRetryableStatus(status: number): boolean {
  return status === 404 || status === 408 || status === 410 || status === 429 || (status >= 500 && status !== 501);
}

interface RawResponse {
  readonly status: number;
  readonly body: string;
}

function fieldAsString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

export function createImdsTokenClient(options: ImdsTokenClientOptions): ImdsTokenClient {
  const base = new URL(options.baseUrl);
  const agent = new http.Agent({ ...KEEP_ALIVE_AGENT_OPTIONS, maxSockets: options.maxSockets ?? 5 });
  const maxAttempts = options.maxAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;

  /**
   * One GET. A kept-alive connection IMDS closed before answering is not a failed attempt: it is resent at once on a
   * new connection, not after the retry backoff (see isStaleConnectionFailure).
   */
  function send(path: string, signal: AbortSignal, fresh = false): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      const headers: Record<string, string> = { Metadata: 'true' };
      if (options.userAgent) headers['User-Agent'] = options.userAgent;
      const req = http.request(
        {
          host: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || 80,
          path,
          method: 'GET',
          headers,
          agent: fresh ? false : agent,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', (error) => {
        if (!fresh && !signal.aborted && isStaleConnectionFailure(req, error)) {
          send(path, signal, true).then(resolve, reject);
          return;
        }
        reject(error);
      });
      req.end();
    });
  }

  async function getToken(request: ImdsTokenRequest, signal: AbortSignal): Promise<IssuedToken> {
    const query = new URLSearchParams({ 'api-version': '2018-02-01', resource: request.resource });
    if (request.clientId) query.set('client_id', request.clientId);
    if (request.objectId) query.set('object_id', request.objectId);
    const path = `${base.pathname.replace(/\/$/, '')}/metadata/identity/oauth2/token?${query.toString()}`;
    let last: RawResponse | undefined;
    let lastTransportError: unknown;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) await options.clock.sleep(retryDelayMs * 2 ** (attempt - 1), signal);
      try {
        last = await send(path, signal);
        lastTransportError = undefined;
      } catch (error) {
        signal.throwIfAborted();
        lastTransportError = error;
        continue;
      }
      if (last.status === 200) return parseTokenBody(last.body, request.clientId ?? '');
      if (!isRetryableStatus(last.status)) break;
    }
    if (lastTransportError !== undefined || !last) {
      throw new NmiError(
        'token-unavailable',
        `failed to reach IMDS at ${base.host}: ${describeError(lastTransportError)}`,
        { cause: lastTransportError },
      );
    }
    // AAD/IMDS refused: the 403 case of §3.5 step 8. Same shape as ADAL's "token refresh error" text.
    throw new NmiError(
      'token-refused',
      `imds: Refresh request failed. Status Code = '${last.status}'. Response body: ${last.body}`,
    );
  }

  return { getToken, close: () => agent.destroy() };
}

function parseTokenBody(text: string, requestedClientId: string): IssuedToken {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new NmiError('token-unavailable', `IMDS answered 200 with a body that is not JSON: ${describeError(error)}`);
  }
  const accessToken = fieldAsString(body, 'access_token');
  if (!accessToken) throw new NmiError('token-unavailable', 'IMDS answered 200 without an access_token');
  return {
    accessToken,
    refreshToken: fieldAsString(body, 'refresh_token'),
    expiresIn: fieldAsString(body, 'expires_in'),
    expiresOn: fieldAsString(body, 'expires_on'),
    notBefore: fieldAsString(body, 'not_before'),
    tokenType: fieldAsString(body, 'token_type') || 'Bearer',
    clientId: fieldAsString(body, 'client_id') || requestedClientId,
  };
}
