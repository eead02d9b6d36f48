import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Response writers that reproduce upstream's bytes: Go's `http.Error` for error texts, the IMDS-style JSON for the
 * Metadata-header check, plain JSON for tokens (§3.5).
 */

/** Go `http.Error`: text/plain, nosniff, message + newline. */
export function sendErrorText(
  res: ServerResponse,
  status: number,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const body = `${message}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

const METADATA_HEADER_MISSING_BODY =
  '{"error":"invalid_request","error_description":"Required metadata header not specified"}\n';

/** §3.5 step 1: answered at once so SDK probes (no header, no query) see IMDS is there. */
export function sendMetadataHeaderRequired(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(400, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(METADATA_HEADER_MISSING_BODY),
  });
  res.end(METADATA_HEADER_MISSING_BODY);
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Upstream requires the header's value to be exactly `true`, and Go's `Header.Get` reads the first of several
 * `Metadata` lines. Node joins repeated lines with `, `, so the joined value is only split (costly) when it is not
 * the plain `true` every SDK sends.
 */
export function hasMetadataHeader(req: IncomingMessage): boolean {
  const joined = req.headers['metadata'];
  if (joined === 'true') return true;
  if (typeof joined !== 'string' || !joined.startsWith('true,')) return false;
  return req.headersDistinct['metadata']?.[0] === 'true';
}

/**
 * A handler failed in a way it did not answer itself (a bug, or a value node:http refuses). The client gets a 500
 * with a fixed text (the error may quote request bytes or internals); a response already started is cut off.
 */
export function answerInternalError(res: ServerResponse, _error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendErrorText(res, 500, 'NMI failed to handle the request');
}
