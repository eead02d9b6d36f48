import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A plain-HTTP pass-through in front of a local server that remembers each request's method, path and user agent. */
export interface RecordingProxy {
  readonly url: string;
  readonly requests: ReadonlyArray<{ readonly method: string; readonly path: string; readonly userAgent: string }>;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const requests: Array<{ method: string; path: string; userAgent: string }> = [];
  const server = http.createServer((inbound, outbound) => {
    requests.push({
      method: inbound.method ?? '',
      path: inbound.url ?? '',
      userAgent: String(inbound.headers['user-agent'] ?? ''),
    });
    const forward = http.request(
      new URL(inbound.url ?? '/', target),
      { method: inbound.method, headers: inbound.headers },
      (answer) => {
        outbound.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outbound);
      },
    );
    forward.on('error', () => outbound.destroy());
    outbound.on('close', () => forward.destroy());
    inbound.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
