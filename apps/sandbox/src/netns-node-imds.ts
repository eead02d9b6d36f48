/**
 * Netns mode: an IMDS where Azure puts one, at 169.254.169.254:80 on each node (the address on the node namespace's
 * loopback, relayed to that node's emulated IMDS). A pod request that escapes NMI's redirect (no NMI yet, a gap
 * during a restart, a crashed NMI with `--on-exit=remove`) then gets the node's identities, as on a real node, and
 * is counted, so tests and the demo can see a leak instead of a silent timeout.
 */
import { type LoopbackRelay, relayIntoNamespace } from './namespace-relay.js';
import { ip } from './netns-commands.js';

export const METADATA_ADDRESS = '169.254.169.254';

export interface NodeImdsRelays {
  /** Connections that reached node `nodeName`'s IMDS at 169.254.169.254 from `source` (any source when omitted). */
  connections(nodeName: string, source?: string): number;
  close(): Promise<void>;
}

export async function startNodeImdsRelays(
  nodes: readonly { readonly name: string; readonly ns: string; readonly imdsUrl: string }[],
  workDir: string,
): Promise<NodeImdsRelays> {
  const counts = new Map<string, Map<string, number>>();
  const relays: LoopbackRelay[] = [];
  const close = async () => {
    for (const relay of relays.splice(0)) await relay.close();
  };
  try {
    for (const node of nodes) {
      await ip(['-n', node.ns, 'addr', 'add', `${METADATA_ADDRESS}/32`, 'dev', 'lo']);
      const bySource = new Map<string, number>();
      counts.set(node.name, bySource);
      relays.push(
        await relayIntoNamespace(node.ns, new URL(node.imdsUrl), workDir, {
          host: METADATA_ADDRESS,
          port: 80,
          onConnection: (source) => bySource.set(source, (bySource.get(source) ?? 0) + 1),
        }),
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    connections(nodeName, source) {
      const bySource = counts.get(nodeName);
      if (!bySource) return 0;
      if (source !== undefined) return bySource.get(source) ?? 0;
      return [...bySource.values()].reduce((sum, count) => sum + count, 0);
    },
    close,
  };
}
