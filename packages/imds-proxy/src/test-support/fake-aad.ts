import https from 'node:https';
import { createPublicKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { type TestCertificate, selfSignedCertificate } from './certificates.js';

/**
 * AAD's v2 client-credentials endpoint over HTTPS with its own CA, for tests: client secret and client assertion
 * (certificate) grants, per-tenant registrations, a call log.
 */
export interface FakeServicePrincipal {
  readonly clientId: string;
  readonly tenants: readonly string[];
  readonly secret?: string;
  readonly certificatePem?: string;
}

export interface FakeAadCall {
  readonly tenant: string;
  readonly clientId: string;
  readonly scope: string;
  readonly grant: 'secret' | 'assertion' | 'none';
  readonly status: number;
}

export interface FakeAad {
  /** `https://127.0.0.1:<port>/` — what an AzureIdentity's `spec.adEndpoint` points at. */
  readonly authorityHost: string;
  readonly caPem: string;
  readonly calls: FakeAadCall[];
  register(principal: FakeServicePrincipal): void;
  lifetimeSeconds: number;
  close(): Promise<void>;
}

function readBody(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function assertionIsValid(assertion: string, certificatePem: string | undefined, clientId: string) {
  if (!certificatePem) return false;
  try {
    const { alg } = decodeProtectedHeader(assertion);
    const { payload } = await jwtVerify(assertion, createPublicKey(certificatePem), {
      algorithms: [alg ?? 'RS256'],
      // AAD tolerates clock skew; msal rounds nbf up to the next second.
      clockTolerance: 300,
    });
    return payload.iss === clientId && payload.sub === clientId;
  } catch (error) {
    if (process.env['FAKE_AAD_DEBUG']) console.error('assertion rejected', error);
    return false;
  }
}

export async function startFakeAad(): Promise<FakeAad> {
  const tls: TestCertificate = selfSignedCertificate('fake-aad', ['127.0.0.1']);
  const principals = new Map<string, FakeServicePrincipal>();
  const calls: FakeAadCall[] = [];
  const state = { lifetimeSeconds: 3599 };
  let serial = 0;

  const server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'https://aad');
    const match = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    const form = new URLSearchParams(await readBody(req));
    const send = (status: number, body: unknown, call?: Omit<FakeAadCall, 'status'>) => {
      if (call) calls.push({ ...call, status });
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (!match || req.method !== 'POST') {
      send(404, { error: 'not_found', error_description: `no route ${url.pathname}` });
      return;
    }
    const tenant = decodeURIComponent(match[1] ?? '');
    const clientId = form.get('client_id') ?? '';
    const scope = form.get('scope') ?? '';
    const assertion = form.get('client_assertion');
    const secret = form.get('client_secret');
    const call = { tenant, clientId, scope, grant: assertion ? 'assertion' : secret ? 'secret' : 'none' } as const;
    const principal = principals.get(clientId);
    if (!principal?.tenants.includes(tenant)) {
      send(
        400,
        {
          error: 'unauthorized_client',
          error_description: `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
          error_codes: [700016],
        },
        call,
      );
      return;
    }
    const valid = assertion
      ? await assertionIsValid(assertion, principal.certificatePem, clientId)
      : secret !== null && secret === principal.secret;
    if (!valid) {
      send(
        401,
        {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
          error_codes: [7000215],
        },
        call,
      );
      return;
    }
    serial++;
    send(
      200,
      {
        token_type: 'Bearer',
        expires_in: state.lifetimeSeconds,
        ext_expires_in: state.lifetimeSeconds,
        access_token: `aad.${tenant}.${clientId}.${scope}.${serial}`,
      },
      call,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    authorityHost: `https://127.0.0.1:${port}/`,
    caPem: tls.certPem,
    calls,
    register: (principal: FakeServicePrincipal) => principals.set(principal.clientId, principal),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
