import type { NodeProcess, Topology } from '@podid/netns-testkit';

/**
 * An IMDS where Azure puts it: 169.254.169.254:80 is a local address of the node namespace, relayed to the VM's
 * emulated IMDS, so a pod request that escapes NMI's redirect gets the node's identities, exactly the leak the
 * fail-closed rules exist to prevent. Every connection it accepts is counted by source address.
 */
export interface NodeImds {
  /** Connections accepted from `address` so far. */
  connectionsFrom(address: string): number;
  close(): Promise<void>;
}

const RELAY = `
import net from 'node:net';
const [targetPort] = process.argv.slice(1);
const server = net.createServer((inbound) => {
  console.log('CONN ' + inbound.remoteAddress);
  const outbound = net.connect(Number(targetPort), '127.0.0.1');
  inbound.pipe(outbound).pipe(inbound);
  inbound.on('error', () => outbound.destroy());
  outbound.on('error', () => inbound.destroy());
});
server.listen(80, '169.254.169.254', () => console.log('LISTENING'));
`;

/** `imdsPortInNamespace`: a port on the node namespace's 127.0.0.1 that reaches the VM's emulated IMDS (a bridge). */
export async function startNodeImds(
  topology: Topology,
  nodeNs: string,
  imdsPortInNamespace: number,
): Promise<NodeImds> {
  await topology.addLocalAddress(nodeNs, '169.254.169.254/32');
  const relay: NodeProcess = await topology.spawnNode(nodeNs, {
    code: RELAY,
    args: [String(imdsPortInNamespace)],
    readyPattern: /^LISTENING$/,
  });
  return {
    connectionsFrom: (address) => relay.lines.filter((line) => line === `CONN ${address}`).length,
    close: () => relay.kill(),
  };
}
