import { request } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface TlsFront {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** TLS connections accepted so far (handshakes completed). */
  connections(): number;
  /** The client certificate subject CN of each request, '' when none was presented. */
  readonly clientNames: string[];
  close(): Promise<void>;
}

/**
 * An https front for the (plain-http) kube-emulator, as a real API server terminates TLS: it serves `serverCert`, asks
 * for a client certificate signed by `clientCa` (and refuses a handshake without one when `requireClientCert`), and
 * forwards every request, watch streams included, to the emulator.
 */
export async function startTlsFront(options: {
  target: string;
  serverCert: { certificatePem: string; privateKeyPem: string };
  clientCa?: string;
  requireClientCert?: boolean;
}): Promise<TlsFront> {
  const upstream = new URL(options.target);
  const clientNames: string[] = [];
  const server: Server = createServer(
    {
      cert: options.serverCert.certificatePem,
      key: options.serverCert.privateKeyPem,
      requestCert: options.clientCa !== undefined,
      rejectUnauthorized: options.requireClientCert === true,
      ...(options.clientCa ? { ca: options.clientCa } : {}),
    },
    (incoming, outgoing) => {
      const peer = (incoming.socket as TLSSocket).getPeerCertificate();
      clientNames.push(typeof peer?.subject?.CN === 'string' ? peer.subject.CN : '');
      const forwarded = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      outgoing.on('close', () => forwarded.destroy());
      incoming.pipe(forwarded);
    },
  );
  let connections = 0;
  server.on('secureConnection', () => connections++);
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    clientNames,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
