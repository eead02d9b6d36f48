import { rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { NodeProcess, Topology } from '@podid/netns-testkit';

/**
 * Makes a loopback TCP service of the test process (e.g. the kube-emulator on 127.0.0.1:P) reachable on loopback
 * inside a network namespace, without any route between the namespaces: a process inside the namespace listens on
 * its own 127.0.0.1 and forwards each connection over a Unix socket (file-system based, so namespace-independent)
 * to this process, which connects to the real service. Traffic never leaves the machine or touches a real network.
 */
export interface NamespaceBridge {
  /** The port on 127.0.0.1 inside the namespace. */
  readonly port: number;
  close(): Promise<void>;
}

const FORWARDER = `
import net from 'node:net';
const socketPath = process.argv[1];
const server = net.createServer((inbound) => {
  const outbound = net.connect(socketPath);
  inbound.pipe(outbound).pipe(inbound);
  inbound.on('error', () => outbound.destroy());
  outbound.on('error', () => inbound.destroy());
});
server.listen(0, '127.0.0.1', () => console.log('LISTENING ' + server.address().port));
`;

export async function bridgeIntoNamespace(
  topology: Topology,
  ns: string,
  target: { readonly host: string; readonly port: number },
  socketDir: string,
): Promise<NamespaceBridge> {
  const socketPath = join(socketDir, `bridge-${target.port}.sock`);
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  let forwarder: NodeProcess;
  try {
    forwarder = await topology.spawnNode(ns, {
      code: FORWARDER,
      args: [socketPath],
      readyPattern: /^LISTENING (\d+)$/,
    });
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    port: Number(forwarder.ready?.[1]),
    close: async () => {
      await forwarder.kill();
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      rmSync(socketPath, { force: true });
    },
  };
}
