/**
 * Reaching the sandbox's loopback servers (kube-emulator, a node's IMDS) from inside a node network namespace,
 * whose 127.0.0.1 is its own: a small forwarder in the namespace listens on its loopback and relays each connection
 * through a Unix socket (a file, visible from every network namespace) to this process, which connects to the server.
 * No route or interface joins the namespaces, so nothing but these relayed connections crosses.
 */
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { NodeProcess, Topology } from '@podid/netns-testkit';

export interface LoopbackRelay {
  /** Port on 127.0.0.1 inside the namespace. */
  port: number;
  close(): Promise<void>;
}

const RELAY_IN_NAMESPACE = `
import { createConnection, createServer } from 'node:net';
const unixPath = process.argv[1];
const server = createServer((client) => {
  const upstream = createConnection(unixPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => console.log('RELAY ' + server.address().port));
`;

export async function relayIntoNamespace(
  topology: Topology,
  ns: string,
  target: URL,
  dir: string,
): Promise<LoopbackRelay> {
  const unixPath = join(dir, `relay-${ns}-${target.port}.sock`);
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection(Number(target.port), target.hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(unixPath, () => resolve());
  });
  let relay: NodeProcess;
  try {
    relay = await topology.spawnNode(ns, { code: RELAY_IN_NAMESPACE, args: [unixPath], readyPattern: /^RELAY (\d+)$/ });
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    port: Number(relay.ready?.[1]),
    async close() {
      await relay.kill();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(unixPath, { force: true });
    },
  };
}
