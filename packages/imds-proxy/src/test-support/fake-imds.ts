import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A VM's IMDS for tests: issues tokens only for the client IDs currently "assigned to the VM" (plus the system
 * identity), answers `Identity not found` otherwise, serves `/metadata/instance`, and 404s other paths.
 * Replace with @podid/azure-emulator once every test needs its full ARM state.
 */
export interface FakeImdsCall {
  /** The request target exactly as received (`req.url`), before any parsing. */
  readonly rawTarget: string;
  readonly path: string;
  readonly clientId: string | null;
  readonly resource: string | null;
  readonly headers: http.IncomingHttpHeaders;
}

export interface FakeImds {
  readonly baseUrl: string;
  readonly calls: FakeImdsCall[];
  /** Every token body IMDS sent, in order. */
  readonly issued: Record<string, string>[];
  /** client IDs assigned to this VM. */
  readonly assigned: Set<string>;
  systemAssigned: boolean;
  /** Next N token requests answer this status (e.g. 500, 429) instead of a token. */
  failNext(status: number, count?: number): void;
  /** Token lifetime in seconds for new tokens. */
  lifetimeSeconds: number;
  /** Epoch ms used as "now" when minting (tests move it with their clock). */
  now: () => number;
  /** Holds every token answer until `release()` (for single-flight tests). */
  hold(): void;
  release(): void;
  tokenCalls(): FakeImdsCall[];
  close(): Promise<void>;
}

export async function startFakeImds(): Promise<FakeImds> {
  const calls: FakeImdsCall[] = [];
  const issued: Record<string, string>[] = [];
  const failures: number[] = [];
  let held: (() => void)[] | undefined;
  let serial = 0;
  const state = {
    systemAssigned: true,
    lifetimeSeconds: 86_399,
    now: () => Date.now(),
  };
  const assigned = new Set<string>();

  const server = http.createServer((req, res) => {
    const rawTarget = req.url ?? '/';
    let url: URL;
    try {
      url = new URL(rawTarget, 'http://imds');
    } catch {
      // Recorded too: what matters to the tests is that it arrived at all.
      calls.push({ rawTarget, path: rawTarget, clientId: null, resource: null, headers: req.headers });
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Fake-Imds': 'bad-target' }).end();
      return;
    }
    const call = {
      rawTarget,
      path: url.pathname,
      clientId: url.searchParams.get('client_id'),
      resource: url.searchParams.get('resource'),
      headers: req.headers,
    };
    calls.push(call);
    const answer = () => {
      if (url.pathname.startsWith('/metadata/identity/oauth2/token')) {
        const failure = failures.shift();
        if (failure !== undefined) {
          res.writeHead(failure, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: `injected ${failure}` }));
          return;
        }
        const clientId = call.clientId ?? '';
        const known = clientId ? assigned.has(clientId.toLowerCase()) : state.systemAssigned;
        if (!known || !call.resource) {
          res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8' });
          res.end('{"error":"invalid_request","error_description":"Identity not found"}');
          return;
        }
        const nowSeconds = Math.floor(state.now() / 1000);
        serial++;
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        const body: Record<string, string> = {
          refresh_token: '',
          access_token: `imds.${clientId || 'system'}.${call.resource}.${serial}`,
          client_id: clientId || 'system-client-id',
          expires_in: String(state.lifetimeSeconds),
          expires_on: String(nowSeconds + state.lifetimeSeconds),
          ext_expires_in: String(state.lifetimeSeconds),
          not_before: String(nowSeconds - 300),
          resource: call.resource,
          token_type: 'Bearer',
        };
        issued.push(body);
        res.end(JSON.stringify(body));
        return;
      }
      if (url.pathname === '/metadata/instance') {
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'X-Fake-Imds': 'instance' });
        res.end(JSON.stringify({ compute: { name: 'vm-1', vmId: 'fake' } }));
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Fake-Imds': 'not-found' });
      res.end(`no such IMDS path ${url.pathname}`);
    };
    req.resume();
    req.on('end', () => {
      if (held && url.pathname.includes('oauth2/token')) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return Object.assign(state, {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    issued,
    assigned,
    failNext(status: number, count = 1) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    hold() {
      held = [];
    },
    release() {
      const pending = held ?? [];
      held = undefined;
      for (const answer of pending) answer();
    },
    tokenCalls: () => calls.filter((call) => call.path.includes('oauth2/token')),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
