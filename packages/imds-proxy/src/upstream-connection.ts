import type http from 'node:http';

/**
 * Keep-alive settings for NMI's connections to IMDS. Node's agent follows a server's `Keep-Alive: timeout=N` hint
 * (closing its idle socket a second before the server would) only when the agent itself has a timeout, so it gets
 * one; idle sockets without a hint are closed after it too.
 */
export const KEEP_ALIVE_AGENT_OPTIONS: http.AgentOptions = { keepAlive: true, timeout: 30_000 };

/**
 * True when a request failed because the kept-alive connection it was sent on had been closed by the server: the
 * socket was reused from the pool and nothing of the answer arrived. Such a request never reached the server's
 * handler, so an idempotent one may be sent again at once (Go's transport, which upstream used, does the same).
 */
export function isStaleConnectionFailure(request: http.ClientRequest, error: unknown): boolean {
  if (!request.reusedSocket) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || code === 'ERR_STREAM_DESTROYED';
}
