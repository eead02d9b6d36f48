import { type NodeProcess, spawnNode } from './node-process.js';
import { execInNamespace } from './run-command.js';

export interface NamespaceHttpRequest {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Per request; keep it short in tests that expect no answer. Default 3000 ms. */
  readonly timeoutMs?: number;
}

export type NamespaceHttpResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
      readonly body: string;
      /** The body parsed as JSON, when it is JSON. */
      readonly json: unknown;
    }
  | {
      readonly ok: false;
      /** e.g. 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', or 'TIMEOUT'. */
      readonly error: string;
      readonly message: string;
    };

// Shared by the one-shot client and the session: one request in, one JSON line out. Runs inside the namespace.
const REQUEST_FUNCTION = `
import http from 'node:http';
const send = (request, agent) => new Promise((resolve) => {
  let done = false;
  let finish = (result) => { if (!done) { done = true; resolve(result); } };
  const req = http.request(request.url, { method: request.method ?? 'GET', headers: request.headers ?? {}, agent }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { body += chunk; });
    res.on('end', () => {
      let json;
      try { json = JSON.parse(body); } catch {}
      finish({ ok: true, status: res.statusCode, headers: res.headers, body, json });
    });
    res.on('error', (error) => finish({ ok: false, error: error.code ?? 'ERROR', message: error.message }));
  });
  // A wall-clock deadline, not req.setTimeout: that one only starts once the TCP connect succeeded, and a SYN
  // that is silently dropped would otherwise retry for minutes.
  const deadline = setTimeout(() => {
    finish({ ok: false, error: 'TIMEOUT', message: 'no response within ' + (request.timeoutMs ?? 3000) + ' ms' });
    req.destroy();
  }, request.timeoutMs ?? 3000);
  const settle = finish;
  finish = (result) => { clearTimeout(deadline); settle(result); };
  req.on('error', (error) => finish({ ok: false, error: error.code ?? 'ERROR', message: error.message }));
  req.end(request.body);
});
`;

/** One HTTP request made by a fresh Node process inside `ns` (so its source address is that namespace's). */
export async function httpRequestFromNamespace(
  ns: string,
  request: NamespaceHttpRequest,
): Promise<NamespaceHttpResult> {
  const code = `${REQUEST_FUNCTION}
const result = await send(JSON.parse(process.argv[1]), new http.Agent({ keepAlive: false }));
process.stdout.write(JSON.stringify(result) + '\\n');`;
  const result = await execInNamespace(
    ns,
    process.execPath,
    ['--input-type=module', '-e', code, JSON.stringify(request)],
    { timeoutMs: (request.timeoutMs ?? 3000) + 10_000 },
  );
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as NamespaceHttpResult;
  } catch {
    throw new Error(`HTTP client in ${ns} exited ${result.exitCode} without a result: ${result.stderr.trim()}`);
  }
}

export interface HttpSession {
  /** Requests go out one at a time over one kept-alive connection (when the server allows it). */
  request(request: NamespaceHttpRequest): Promise<NamespaceHttpResult>;
  close(): Promise<void>;
}

/**
 * A long-lived HTTP client inside `ns` whose requests reuse one keep-alive socket: the way to hold a TCP connection
 * open across a rule change (e.g. to show that an established flow bypasses a new DNAT until conntrack is flushed).
 */
export async function openHttpSession(ns: string): Promise<HttpSession> {
  const code = `${REQUEST_FUNCTION}
import { createInterface } from 'node:readline';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
console.log('SESSION READY');
for await (const line of createInterface({ input: process.stdin })) {
  const result = await send(JSON.parse(line), agent);
  console.log('RESULT ' + JSON.stringify(result));
}
agent.destroy();`;
  const client: NodeProcess = await spawnNode(ns, { code, readyPattern: /^SESSION READY$/ });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    request(request) {
      const next = queue.then(async () => {
        const from = client.lines.length;
        client.writeLine(JSON.stringify(request));
        const match = await client.waitForLine(/^RESULT (.*)$/, {
          from,
          timeoutMs: (request.timeoutMs ?? 3000) + 10_000,
        });
        return JSON.parse(match[1] ?? '') as NamespaceHttpResult;
      });
      queue = next.catch(() => {});
      return next;
    },
    close: () => client.kill(),
  };
}

export interface EchoServer {
  readonly port: number;
  readonly process: NodeProcess;
  close(): Promise<void>;
}

/** What an echo server answers: who called it and on which address, so tests can assert where a packet went. */
export interface EchoReply {
  readonly server: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** An HTTP server inside `ns` that answers every request with an EchoReply as JSON. Port 0 picks a free port. */
export async function startEchoServer(
  ns: string,
  options: { readonly host: string; readonly port?: number; readonly name?: string },
): Promise<EchoServer> {
  const code = `
import http from 'node:http';
const [host, port, name] = process.argv.slice(1);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ server: name, remoteAddress: req.socket.remoteAddress, remotePort: req.socket.remotePort,
      localAddress: req.socket.localAddress, localPort: req.socket.localPort, method: req.method, url: req.url, headers: req.headers }));
  });
});
server.listen(Number(port), host, () => console.log('LISTENING ' + server.address().port));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });`;
  const child = await spawnNode(ns, {
    code,
    args: [options.host, String(options.port ?? 0), options.name ?? 'echo'],
    readyPattern: /^LISTENING (\d+)$/,
  });
  return { port: Number(child.ready?.[1]), process: child, close: () => child.kill() };
}
