import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body the emulator reads; real ARM rejects bodies far smaller than this anyway. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  readonly code = 'BodyTooLarge';
}

/**
 * Reads the whole request body as UTF-8 text. An oversized body is still drained (and dropped) before the
 * error, so the client reads the error response instead of a connection reset.
 */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size <= MAX_BODY_BYTES) chunks.push(buf);
  }
  if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`The request body exceeds ${MAX_BODY_BYTES} bytes.`);
  return Buffer.concat(chunks).toString('utf8');
}

/** Sends a JSON body with an explicit Content-Length, as Azure's front doors do. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json; charset=utf-8',
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Splits a request URL into a path and its query, tolerating absolute-form request targets. */
export function parseRequestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://emulator.invalid');
}
