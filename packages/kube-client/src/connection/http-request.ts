import { type Agent, type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface OutgoingRequest {
  method: string;
  url: URL;
  agent: Agent;
  headers: Record<string, string>;
  body?: Buffer | undefined;
  signal?: AbortSignal | undefined;
}

export interface CompletedResponse {
  status: number;
  text: string;
}

/** Starts a request; the caller handles the response (or the error) itself. */
export function startRequest(
  outgoing: OutgoingRequest,
  onResponse: (response: IncomingMessage) => void,
): ClientRequest {
  const send = outgoing.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...outgoing.headers };
  if (outgoing.body !== undefined) headers['Content-Length'] = String(outgoing.body.length);
  const request = send(
    outgoing.url,
    {
      method: outgoing.method,
      agent: outgoing.agent,
      headers,
      ...(outgoing.signal ? { signal: outgoing.signal } : {}),
    },
    onResponse,
  );
  request.end(outgoing.body);
  return request;
}

function sendOnce(outgoing: OutgoingRequest): Promise<CompletedResponse & { reusedSocketFailed?: boolean }> {
  return new Promise((resolve, reject) => {
    const request = startRequest(outgoing, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      // A keep-alive socket the server closed just as we reused it: nothing reached the server (Node's advice).
      if (request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
        resolve({ status: 0, text: '', reusedSocketFailed: true });
      } else {
        reject(error);
      }
    });
  });
}

/** Methods HTTP defines as idempotent: safe to send again when the first try may or may not have arrived. */
const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);

/** One request with its whole answer read; an idempotent one that hit a stale keep-alive socket is sent again once. */
export async function sendRequest(outgoing: OutgoingRequest): Promise<CompletedResponse> {
  const first = await sendOnce(outgoing);
  if (!first.reusedSocketFailed) return first;
  if (!IDEMPOTENT.has(outgoing.method)) {
    throw Object.assign(new Error(`${outgoing.method} ${outgoing.url.pathname}: the connection was reset`), {
      code: 'ECONNRESET',
    });
  }
  const second = await sendOnce(outgoing);
  if (second.reusedSocketFailed) {
    throw Object.assign(new Error(`${outgoing.method} ${outgoing.url.pathname}: the connection was reset`), {
      code: 'ECONNRESET',
    });
  }
  return second;
}
