import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

async function listen(server: http.Server, port: number, host: string | undefined): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    port: address.port,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function pathOf(request: http.IncomingMessage): string {
  return (request.url ?? '/').split('?', 1)[0] as string;
}

/**
 * `/healthz`: always 200, body `Active` once ready and `Not Active` before (spec §5.1). Unlike upstream, nothing
 * else is served here — in particular no `/debug/pprof` (fix of quirk Q11).
 */
export function startHealthServer(options: {
  readonly port: number;
  readonly host?: string;
  readonly isActive: () => boolean;
}): Promise<RunningServer> {
  const server = http.createServer((request, response) => {
    if (pathOf(request) === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(options.isActive() ? 'Active' : 'Not Active');
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('404 page not found\n');
  });
  return listen(server, options.port, options.host);
}

/** `/metrics` in the Prometheus text format from the given registry. */
export function startMetricsServer(options: {
  readonly port: number;
  readonly host?: string;
  readonly registry: Registry;
}): Promise<RunningServer> {
  const server = http.createServer((request, response) => {
    if (pathOf(request) !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('404 page not found\n');
      return;
    }
    options.registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'Content-Type': options.registry.contentType });
        response.end(text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end(`failed to collect metrics: ${String(error)}\n`);
      },
    );
  });
  return listen(server, options.port, options.host);
}
