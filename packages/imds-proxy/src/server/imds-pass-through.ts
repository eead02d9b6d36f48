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
}

/** Methods Go's transport (upstream) also resends after a kept-alive connection fails before any answer. */
function isIdempotent(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD';
}

export function createPassThroughProxy(imdsBaseUrl: string, options: PassThroughOptions = {}): PassThroughProxy {
  const base = new URL(imdsBaseUrl);
  const host = base.hostname.replace(/^\[|\]$/g, '');
  const port = Number(base.port || 80);
  const agent = new http.Agent({ ...KEEP_ALIVE_AGENT_OPTIONS, maxSockets: 16 });
  const errorFormat = options.errorFormat ?? 'text';

  function forward(req: IncomingMessage, res: ServerResponse, pathAndQuery: string): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['host'] = base.host;
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
