import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP front for the kube-emulator (which enforces no RBAC) that answers one resource's list with the 403 Status
 * a real API server sends when RBAC refuses it, and forwards every other request unchanged.
 */
export async function startForbiddingProxy(options: {
  upstream: string;
  /** e.g. `azureidentities` */
  plural: string;
  group: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(options.upstream);
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const isList = request.method === 'GET' && url.pathname.endsWith(`/${options.plural}`);
    if (isList) {
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `${options.plural}.${options.group} is forbidden: User "system:serviceaccount:default:diagnose" cannot list resource "${options.plural}" in API group "${options.group}" at the cluster scope`,
        reason: 'Forbidden',
        details: { group: options.group, kind: options.plural },
        code: 403,
      });
      response.writeHead(403, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: request.url,
        method: request.method,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
