import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FlakyKeepAliveServer {
  readonly baseUrl: string;
  /** Connections accepted so far. */
  connections: number;
  /** Idle connections the server closed on purpose. */
  closedIdle: number;
  close(): Promise<void>;
}

/**
 * An IMDS stand-in that, like the real one under load, closes kept-alive connections at random moments after an
 * answer (while still announcing its usual keep-alive), so a client reusing such a connection sends into a socket
 * that is going away. Answers token paths with a token body and everything else with a small JSON document.
 */
export async function startFlakyKeepAliveServer(closeProbability: number): Promise<FlakyKeepAliveServer> {
  const state = { connections: 0, closedIdle: 0 };
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const now = Math.floor(Date.now() / 1000);
      const body = req.url?.startsWith('/metadata/identity/oauth2/token')
        ? JSON.stringify({
            access_token: 'flaky-token',
            expires_in: '3600',
            expires_on: String(now + 3600),
            not_before: String(now),
            resource: 'r',
            token_type: 'Bearer',
          })
        : JSON.stringify({ compute: { name: 'vm-1' } });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      res.on('finish', () => {
        if (Math.random() >= closeProbability) return;
        // Within a few milliseconds: sometimes before the client reuses the connection, sometimes just after.
        setTimeout(
          () => {
            state.closedIdle++;
            req.socket.destroy();
          },
          Math.floor(Math.random() * 3),
        );
      });
    });
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
