import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { describeError } from '../errors.js';
import { type ErrorFormat, sendError } from './http-answers.js';
import { KEEP_ALIVE_AGENT_OPTIONS, isStaleConnectionFailure } from '../upstream-connection.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) are per connection and must not be forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Already answered by NMI's own server (it sent the 100 Continue); IMDS must not be asked to hold the body back.
  'expect',
]);

export interface PassThroughProxy {
  /**
   * §3.11: same method, headers and body to IMDS; status, headers and body back verbatim. `pathAndQuery` is exactly
   * the request target sent (the caller decides it; it is never re-derived from `req.url`).
   */
  forward(req: IncomingMessage, res: ServerResponse, pathAndQuery: string): void;
  close(): void;
}

export interface PassThroughOptions {
  /** How a transport failure (500) is written; default `text`, upstream's `http.Error`. */
  readonly errorFormat?: ErrorFormat;
  /** Connections to IMDS in all (default 16). Not the per-pod bound: the server bounds each pod's open requests. */
  readonly maxSockets?: number;
}

/** Methods Go's transport (upstream) also resends after a kept-alive connection fails before any answer. */
function isIdempotent(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD';
}

export function createPassThroughProxy(imdsBaseUrl: string, options: PassThroughOptions = {}): PassThroughProxy {
  const base = new URL(imdsBaseUrl);
  const host = base.hostname.replace(/^\[|\]$/g, '');
  const port = Number(base.port || 80);
  const agent = new http.Agent({ ...KEEP_ALIVE_AGENT_OPTIONS, maxSockets: options.maxSockets ?? 16 });
  const errorFormat = options.errorFormat ?? 'text';

  function forward(req: IncomingMessage, res: ServerResponse, pathAndQuery: string): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['host'] = base.host;
    // The pod's body is forwarded framed as the pod framed it. A chunked body (its Transfer-Encoding is hop-by-hop,
    // so not copied above) must go out chunked again: node:http sends the streamed body of a DELETE or OPTIONS
    // without Content-Length or Transfer-Encoding as raw bytes, which IMDS reads as further requests on the
    // kept-alive connection (a pod could smuggle a token request past every check). Without either header the
    // request has no body (RFC 9112 §6.3) and none is sent.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined) {
      headers['transfer-encoding'] = 'chunked';
    }
    let upstream: http.ClientRequest | undefined;
    res.on('close', () => {
      if (!res.writableFinished) upstream?.destroy();
    });

    /** One attempt; `body` undefined streams the request body (no resend possible), else sends it as buffered. */
    const send = (body: Buffer | undefined, mayResend: boolean, fresh: boolean) => {
      let answered = false;
      const request = http.request(
        // A resend gets a new connection: the other idle ones may have been closed by the same server just as well.
        { host, port, method: req.method, path: pathAndQuery, headers, agent: fresh ? false : agent },
        (answer) => {
          answered = true;
          const responseHeaders: http.OutgoingHttpHeaders = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) responseHeaders[name] = value;
          }
          res.writeHead(answer.statusCode ?? 502, responseHeaders);
          answer.pipe(res);
        },
      );
      upstream = request;
      request.on('error', (error) => {
        if (mayResend && !answered && !res.destroyed && isStaleConnectionFailure(request, error)) {
          send(body, false, true);
          return;
        }
        if (res.headersSent) res.destroy();
        else sendError(res, 500, describeError(error), errorFormat);
      });
      if (body === undefined) req.pipe(request);
      else request.end(body);
    };

    if (!isIdempotent(req.method)) {
      send(undefined, false, false);
      return;
    }
    // GET and HEAD carry no body in practice; reading it first (if any) lets the request be sent again.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => send(Buffer.concat(chunks), true, false));
  }

  return { forward, close: () => agent.destroy() };
}
