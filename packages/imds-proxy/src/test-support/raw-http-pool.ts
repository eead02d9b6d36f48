import net from 'node:net';

/**
 * Sends many raw HTTP/1.1 requests over a pool of keep-alive sockets, writing each request target byte for byte
 * (no client-side URL handling at all), one request in flight per socket.
 *
 * Not pipelined on purpose: when node:http's parser refuses a request it writes its `400` straight to the socket,
 * ahead of the answers still pending for earlier pipelined requests, so answers could no longer be matched to
 * requests. With one request in flight, every answer (or close) belongs to exactly one request.
 *
 * A server may close a connection at any point (a parse error answered `400` + close, `Connection: close`, a
 * reset): requests that got no answer are sent again on a new connection. The request at the head of the line
 * when a connection dies without answering it is charged an attempt; after `maxAttempts` it is recorded as
 * unanswered (`status: 0`) rather than retried forever.
 */

export interface RawRequest {
  /** Request target exactly as written on the wire (binary string: one char per byte). */
  readonly target: string;
  /** Extra header lines, e.g. `{ 'X-Corpus-Id': '17' }`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The server closed the connection without answering (after every retry). */
export const CLOSED_WITHOUT_ANSWER = 0;
/** No byte came back within `answerTimeoutMs`: the server hung on this request (never retried). */
export const HUNG = -1;
/** Never sent, because too many requests hung before it. */
export const NOT_SENT = -2;

export interface RawAnswer {
  /** The HTTP status, or CLOSED_WITHOUT_ANSWER / HUNG / NOT_SENT. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The server asked to close (or closed) the connection after this answer. */
  readonly closed: boolean;
}

export interface RawPoolOptions {
  readonly port: number;
  readonly host?: string;
  /** Source addresses (pods are told apart by them); connections are spread over them round-robin. */
  readonly localAddresses: readonly string[];
  /** Concurrent connections (default 16). */
  readonly connections?: number;
  readonly maxAttempts?: number;
  /** A connection silent this long with a request in flight counts that request as hung (default 10000). */
  readonly answerTimeoutMs?: number;
  /** Stop sending after this many hung requests (a server that stopped answering; default 20). */
  readonly maxHung?: number;
  /** Fixed header lines every request carries (Host and Metadata by default). */
  readonly baseHeaders?: Readonly<Record<string, string>>;
}

const DEFAULT_HEADERS = { Host: '169.254.169.254', Metadata: 'true' };

function requestBytes(request: RawRequest, baseHeaders: Readonly<Record<string, string>>): Buffer {
  let text = `GET ${request.target} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries({ ...baseHeaders, ...request.headers })) text += `${name}: ${value}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}

interface ParsedHead {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly bodyStart: number;
}

function parseHead(buffer: Buffer): ParsedHead | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
  if (!Number.isInteger(status)) throw new Error(`unparsable status line: ${JSON.stringify(lines[0])}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, bodyStart: end + 4 };
}

/** Decodes a chunked body that starts at `from`; returns the body and where the message ends, or undefined. */
function parseChunked(buffer: Buffer, from: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(buffer.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    at = lineEnd + 2;
    if (size === 0) {
      // Trailers (none expected) end with an empty line.
      const trailerEnd = buffer.indexOf('\r\n', at);
      if (trailerEnd === -1) return undefined;
      return { body: Buffer.concat(parts), end: trailerEnd + 2 };
    }
    if (buffer.length < at + size + 2) return undefined;
    parts.push(buffer.subarray(at, at + size));
    at += size + 2;
  }
}

export async function sendRawRequests(options: RawPoolOptions, requests: readonly RawRequest[]): Promise<RawAnswer[]> {
  const depth = 1;
  const connections = options.connections ?? 16;
  const maxAttempts = options.maxAttempts ?? 2;
  const baseHeaders = options.baseHeaders ?? DEFAULT_HEADERS;
  const answerTimeoutMs = options.answerTimeoutMs ?? 10_000;
  const maxHung = options.maxHung ?? 20;
  let hung = 0;
  const answers: (RawAnswer | undefined)[] = new Array(requests.length);
  const attempts = new Uint8Array(requests.length);
  const pending: number[] = [];
  for (let i = requests.length - 1; i >= 0; i--) pending.push(i);
  const encoded = requests.map((request) => requestBytes(request, baseHeaders));

  /** Resolves true when the connection was established (false: refused, so the server is likely gone). */
  const runConnection = (localAddress: string): Promise<boolean> =>
    new Promise((resolve, reject) => {
      let connected = false;
      const inFlight: number[] = [];
      let buffer: Buffer = Buffer.alloc(0);
      let closing = false;
      let finished = false;
      const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port, localAddress });
      socket.setNoDelay(true);
      socket.setTimeout(answerTimeoutMs, () => {
        if (inFlight.length > 0) {
          hung++;
          complete(HUNG, {}, Buffer.alloc(0), true);
        }
        socket.destroy();
      });

      const fill = () => {
        if (closing) return;
        socket.cork();
        while (inFlight.length < depth && pending.length > 0) {
          const index = pending.pop()!;
          inFlight.push(index);
          socket.write(encoded[index]!);
        }
        socket.uncork();
        if (inFlight.length === 0) {
          closing = true;
          socket.end();
        }
      };

      const complete = (status: number, headers: Record<string, string>, body: Buffer, closed: boolean) => {
        const index = inFlight.shift()!;
        answers[index] = { status, headers, body: body.toString('latin1'), closed };
      };

      const drainResponses = (): void => {
        for (;;) {
          if (inFlight.length === 0) return;
          const head = parseHead(buffer);
          if (!head) return;
          const noBody = head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200);
          const closeAfter = /close/i.test(head.headers['connection'] ?? '');
          if (noBody) {
            buffer = buffer.subarray(head.bodyStart);
            complete(head.status, head.headers, Buffer.alloc(0), closeAfter);
          } else if (/chunked/i.test(head.headers['transfer-encoding'] ?? '')) {
            const chunked = parseChunked(buffer, head.bodyStart);
            if (!chunked) return;
            buffer = buffer.subarray(chunked.end);
            complete(head.status, head.headers, chunked.body, closeAfter);
          } else if (head.headers['content-length'] !== undefined) {
            const length = Number(head.headers['content-length']);
            if (buffer.length < head.bodyStart + length) return;
            const body = buffer.subarray(head.bodyStart, head.bodyStart + length);
            buffer = buffer.subarray(head.bodyStart + length);
            complete(head.status, head.headers, body, closeAfter);
          } else return; // body runs to the end of the connection: completed on close
          if (closeAfter) {
            closing = true;
            return;
          }
        }
      };

      const onGone = () => {
        if (finished) return;
        finished = true;
        // An answer whose body ran to the end of the connection.
        const head = inFlight.length > 0 ? parseHead(buffer) : undefined;
        if (head) complete(head.status, head.headers, buffer.subarray(head.bodyStart), true);
        else if (inFlight.length > 0) {
          const headOfLine = inFlight[0]!;
          attempts[headOfLine]!++;
          if (attempts[headOfLine]! >= maxAttempts) complete(CLOSED_WITHOUT_ANSWER, {}, Buffer.alloc(0), true);
        }
        // Everything still unanswered goes back to the queue, in order.
        for (let i = inFlight.length - 1; i >= 0; i--) pending.push(inFlight[i]!);
        inFlight.length = 0;
        resolve(connected);
      };

      socket.on('connect', () => {
        connected = true;
        fill();
      });
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        try {
          drainResponses();
        } catch (error) {
          socket.destroy();
          reject(error);
          return;
        }
        // The server said it closes: let it close first, so TIME_WAIT stays on its side and a run with many
        // server-closed connections cannot exhaust the client's ephemeral ports.
        if (!closing) fill();
      });
      socket.on('error', () => onGone());
      socket.on('close', () => onGone());
    });

  const worker = async (localAddress: string) => {
    let refusedInARow = 0;
    while (pending.length > 0) {
      if (hung >= maxHung) {
        while (pending.length > 0) answers[pending.pop()!] = { status: NOT_SENT, headers: {}, body: '', closed: true };
        return;
      }
      refusedInARow = (await runConnection(localAddress)) ? 0 : refusedInARow + 1;
      if (refusedInARow >= 5) {
        // Nobody listens any more: record what is left as unanswered instead of looping.
        while (pending.length > 0) attempts[pending.pop()!] = maxAttempts;
        return;
      }
    }
  };
  const addresses = options.localAddresses;
  await Promise.all(Array.from({ length: connections }, (_, i) => worker(addresses[i % addresses.length]!)));
  return answers.map((answer) => answer ?? { status: CLOSED_WITHOUT_ANSWER, headers: {}, body: '', closed: true });
}
