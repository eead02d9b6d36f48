/**
 * Requests as a workload makes them: plain HTTP to its node's NMI, sent FROM the pod's address (`localAddress`), so
 * NMI identifies the caller by source IP exactly as it does for a pod behind the iptables redirect.
 */
import { request } from 'node:http';

export interface WorkloadRequest {
  /** Base URL of the node's NMI, e.g. `http://127.0.0.1:40123`. */
  nmiUrl: string;
  /** The pod's address, used as the source address. */
  podIP: string;
  /** Path and query, e.g. `/metadata/identity/oauth2/token?resource=...`. */
  path: string;
  /** Default `{ Metadata: 'true' }`; pass `{}` to omit it. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface WorkloadResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export function workloadRequest(options: WorkloadRequest): Promise<WorkloadResponse> {
  const target = new URL(options.path, options.nmiUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        localAddress: options.podIP,
        headers: options.headers ?? { Metadata: 'true' },
        timeout: options.timeoutMs ?? 120_000,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${target.href} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface TokenQuery {
  resource: string;
  clientId?: string;
  msiResId?: string;
}

/** The token route's path with its query, as IMDS clients send it. */
export function tokenPath(query: TokenQuery): string {
  const params = new URLSearchParams({ 'api-version': '2018-02-01', resource: query.resource });
  if (query.clientId !== undefined) params.set('client_id', query.clientId);
  if (query.msiResId !== undefined) params.set('msi_res_id', query.msiResId);
  return `/metadata/identity/oauth2/token?${params.toString()}`;
}

/** The claims of a JWT, without verifying it (for display and assertions on `appid`/`oid`/`aud`). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (payload === undefined) throw Object.assign(new Error('not a JWT'), { code: 'not_a_jwt' });
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}
