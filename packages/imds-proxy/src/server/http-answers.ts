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

/**
 * How NMI writes its own error answers: `json` (default) in IMDS's shape, `{"error": <code>, "error_description":
 * <upstream's text>}`, so SDKs that parse error bodies (msal-node, @azure/identity) report the reason; `text`
 * restores upstream's Go `http.Error` plain text (`--error-format=text`).
 */
export type ErrorFormat = 'json' | 'text';

/**
 * The OAuth 2.0 / IMDS `error` code for a status NMI answers with: IMDS itself says `invalid_request` for
 * "Identity not found" (our 404 is the same fact), `access_denied` for refusals, `temporarily_unavailable` when it
 * cannot serve now, `unknown_error` for internal failures.
 */
export function imdsErrorCode(status: number): string {
  if (status === 403) return 'access_denied';
  if (status === 429 || status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'unknown_error';
  return 'invalid_request';
}

/** An NMI error answer in the configured format (see `ErrorFormat`). */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  format: ErrorFormat,
  extraHeaders: Record<string, string> = {},
): void {
  if (format === 'text') {
    sendErrorText(res, status, message, extraHeaders);
    return;
  }
  if (res.headersSent || res.destroyed) return;
  // A trailing newline, as the upstream Metadata-header answer (also JSON) has one.
  const body = `${JSON.stringify({ error: imdsErrorCode(status), error_description: message })}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
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
export function answerInternalError(res: ServerResponse, format: ErrorFormat): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, 500, 'NMI failed to handle the request', format);
}
