import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

/**
 * A hostile pod against the pass-through, over raw sockets: the body of a request NMI forwards must reach IMDS
 * framed as that request's body, never as bytes IMDS reads as a request of its own (request smuggling into the
 * kept-alive upstream connection would reach the token endpoint without any pod check).
 */

const UNBOUND_CALLER = '127.0.1.9';
const TOKEN_REQUEST =
  'GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/ HTTP/1.1\r\n' +
  'Host: imds\r\nMetadata: true\r\n\r\n';

/** Writes `bytes` from `from` and collects everything NMI sends back until it closes or goes quiet. */
function exchange(port: number, from: string, bytes: string, quietMs = 400): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      socket.write(bytes);
      quiet();
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      quiet();
    });
    socket.on('close', done);
    socket.on('error', (error) => (received ? done() : reject(error)));
  });
}

function chunked(body: string): string {
  return `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
}

describe('pass-through request bodies cannot smuggle a request to IMDS', () => {
  let h: NmiHarness;
  beforeEach(async () => {
    h = await startNmiHarness();
    h.imds.systemAssigned = true;
  });
  afterEach(async () => {
    await h.close();
  });

  for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT']) {
    test(`${method} with a chunked body holding a token request`, async () => {
      const smuggling =
        `${method} /metadata/instance?api-version=2021-02-01 HTTP/1.1\r\nHost: x\r\nMetadata: true\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n${chunked(TOKEN_REQUEST)}`;
      const answer = await exchange(h.port, UNBOUND_CALLER, smuggling);
      // A follow-up pass-through on a fresh connection must get its own answer, not the smuggled one.
      const followUp = await exchange(
        h.port,
        UNBOUND_CALLER,
        'GET /metadata/instance?api-version=2021-02-01 HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nConnection: close\r\n\r\n',
      );
      expect(h.imds.tokenCalls()).toEqual([]);
      expect(h.imds.calls.map((call) => call.path)).toEqual(['/metadata/instance', '/metadata/instance']);
      expect(answer).not.toContain('access_token');
      expect(followUp).not.toContain('access_token');
      expect(followUp).toMatch(/^HTTP\/1\.1 200/);
    });
  }

  test('a Content-Length body and Expect: 100-continue stay one request', async () => {
    const withLength =
      `GET /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nContent-Length: ${Buffer.byteLength(TOKEN_REQUEST)}\r\n` +
      `\r\n${TOKEN_REQUEST}`;
    const expecting =
      'GET /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nExpect: 100-continue\r\n' +
      `Transfer-Encoding: chunked\r\n\r\n${chunked(TOKEN_REQUEST)}`;
    const answers = [
      await exchange(h.port, UNBOUND_CALLER, withLength),
      await exchange(h.port, UNBOUND_CALLER, expecting),
    ];
    expect(h.imds.tokenCalls()).toEqual([]);
    expect(h.imds.calls.map((call) => call.path)).toEqual(['/metadata/instance', '/metadata/instance']);
    expect(h.imds.calls[1]?.headers['expect']).toBeUndefined();
    for (const answer of answers) expect(answer).toMatch(/HTTP\/1\.1 200 OK/);
  });
});

/**
 * IMDS issues credentials under `/metadata/identity` beyond the v1 token endpoint: MSI v2's
 * `POST /metadata/identity/issuecredential` returns an X.509 client credential of the VM's identity for a CSR (which
 * the caller then trades for tokens at Entra ID), `/metadata/identity/credential` a short-lived one, and
 * `getPlatformMetadata` names the VM's identity. A pod with no binding must reach none of them.
 */
describe('no pass-through under /metadata/identity', () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startNmiHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const requests = [
    'POST /metadata/identity/issuecredential?cred-api-version=1.0',
    'POST /Metadata/Identity/IssueCredential?cred-api-version=1.0',
    'GET /metadata/identity/getplatformmetadata?cred-api-version=1.0',
    'GET /metadata/identity/getPlatformMetadata?cred-api-version=1.0',
    'POST /metadata/identity/credential?api-version=2018-02-01',
    'GET /metadata/identity/info?api-version=2018-02-01',
    'GET /metadata/identity?api-version=2018-02-01',
    'GET /metadata/identity/?api-version=2018-02-01',
  ];
  for (const line of requests) {
    test(line, async () => {
      const body = '{"csr":"MIIB"}';
      const answer = await exchange(
        h.port,
        UNBOUND_CALLER,
        `${line} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(h.imds.calls).toEqual([]);
    });
  }
});

/**
 * A pod that opens pass-through requests and never finishes their bodies must not hold NMI's connections to IMDS:
 * other pods' metadata requests are still answered while it stalls.
 */
describe('a stalled pass-through body does not starve other pods', () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startNmiHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  test('64 stalled bodies from one pod, then another pod asks for the instance document', async () => {
    const stalled: net.Socket[] = [];
    let refused = 0;
    for (let i = 0; i < 64; i++) {
      const socket = net.connect({ port: h.port, host: '127.0.0.1', localAddress: UNBOUND_CALLER });
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        if (chunk.toString('latin1').startsWith('HTTP/1.1 429 ')) refused++;
      });
      socket.write('POST /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nContent-Length: 1000\r\n\r\n{');
      stalled.push(socket);
    }
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const answer = await exchange(
        h.port,
        '127.0.0.2',
        'GET /metadata/instance?api-version=2021-02-01 HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nConnection: close\r\n\r\n',
        2000,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
      // The stalling pod keeps its own 16 and is told to come back for the rest.
      expect(refused).toBe(48);
    } finally {
      for (const socket of stalled) socket.destroy();
    }
  });
});

/** Framing and syntax games node:http refuses itself: none may reach IMDS, and NMI keeps serving afterwards. */
describe('malformed requests reach nothing and stop nothing', () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startNmiHarness();
    h.imds.systemAssigned = true;
  });
  afterAll(async () => {
    await h.close();
  });

  const TOKEN = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';
  const ahead = `${TOKEN_REQUEST}`;
  const cases: Record<string, string> = {
    'CONNECT to IMDS': 'CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: 169.254.169.254:80\r\n\r\n',
    'OPTIONS *': 'OPTIONS * HTTP/1.1\r\nHost: x\r\nMetadata: true\r\n\r\n',
    'HTTP/0.9 request line': 'GET /metadata/instance\r\n\r\n',
    'https absolute-form': `GET https://x${TOKEN} HTTP/1.1\r\nHost: x\r\nMetadata: true\r\n\r\n`,
    'Transfer-Encoding with Content-Length': `POST /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nTransfer-Encoding: chunked\r\nContent-Length: ${ahead.length}\r\n\r\n${ahead}`,
    'Transfer-Encoding without chunked': `GET /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nTransfer-Encoding: gzip\r\n\r\n${ahead}`,
    'two Content-Length lines': `GET /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nContent-Length: 0\r\nContent-Length: ${ahead.length}\r\n\r\n${ahead}`,
    'obsolete line folding': 'GET /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nX-A: a\r\n b\r\n\r\n',
    'NUL in a header value': 'GET /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nX-A: a\x00b\r\n\r\n',
    'unknown method': 'FOO /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\n\r\n',
    'bare LF line ends': 'GET /metadata/instance HTTP/1.1\nHost: x\nMetadata: true\n\n',
    'fragment in the target': `GET ${TOKEN}#x HTTP/1.1\r\nHost: x\r\nMetadata: true\r\n\r\n`,
    '20 kB header': `GET /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`,
  };
  for (const [name, bytes] of Object.entries(cases)) {
    test(name, async () => {
      const answer = await exchange(h.port, UNBOUND_CALLER, bytes, 200);
      expect(answer).not.toMatch(/^HTTP\/1\.1 [23]/);
      expect(h.imds.calls).toEqual([]);
      const healthy = await exchange(
        h.port,
        UNBOUND_CALLER,
        'GET /metadata/instance HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nConnection: close\r\n\r\n',
      );
      expect(healthy).toMatch(/^HTTP\/1\.1 200 OK/);
      h.imds.calls.length = 0;
    });
  }
});
