import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { describeError } from '../errors.js';
import { sendErrorText } from './http-answers.js';

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
  /** §3.11: same method, path+query, headers and body to IMDS; status, headers and body back verbatim. */
  forward(req: IncomingMessage, res: ServerResponse, pathAndQuery: string): void;
  close(): void;
}

export function createPassThroughProxy(imdsBaseUrl: string, limits: { maxSockets?: number } = {}): PassThroughProxy {
  const base = new URL(imdsBaseUrl);
  const host = base.hostname.replace(/^\[|\]$/g, '');
  const port = Number(base.port || 80);
  // Not the per-pod bound: the server bounds each pod's open requests, this only caps all of them together.
  const agent = new http.Agent({ keepAlive: true, maxSockets: limits.maxSockets ?? 16 });

  function forward(req: IncomingMessage, res: ServerResponse, pathAndQuery: string): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['host'] = base.host;
    // The pod's body is forwarded framed as the pod framed it. A chunked body (its Transfer-Encoding is hop-by-hop,
    // so not copied above) must go out chunked again: node:http sends the body of a GET, HEAD, DELETE or OPTIONS
    // without Content-Length or Transfer-Encoding as raw bytes, which IMDS reads as further requests on the
    // kept-alive connection (a pod could smuggle a token request past every check). Without either header the
    // request has no body (RFC 9112 §6.3) and none is sent.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined) {
      headers['transfer-encoding'] = 'chunked';
    }
    const upstream = http.request({ host, port, method: req.method, path: pathAndQuery, headers, agent }, (answer) => {
      const responseHeaders: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) responseHeaders[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, responseHeaders);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else sendErrorText(res, 500, describeError(error));
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  return { forward, close: () => agent.destroy() };
}
