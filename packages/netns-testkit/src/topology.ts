import { randomBytes } from 'node:crypto';
import { trackNamespace, untrackNamespace } from './cleanup-registry.js';
import { type NodeProcess, type SpawnNodeOptions, spawnNode } from './node-process.js';
import { type ExecOptions, type ExecResult, execInNamespace, runCommand, runOrThrow } from './run-command.js';

export const DEFAULT_NAMESPACE_PREFIX = 'ptk';

export interface TopologyOptions {
  /** How many pod namespaces (default 1). */
  readonly pods?: number;
  /** Namespace name prefix; stale namespaces with this prefix from dead processes are swept first. */
  readonly prefix?: string;
  /** First two octets of the pod subnets: pod i gets `<base>.<i>.0/24`, default `10.244`. */
  readonly subnetBase?: string;
}

export interface PodEndpoint {
  readonly ns: string;
  /** The pod's address, e.g. 10.244.0.2. */
  readonly ip: string;
  /** The node side of the pod's veth, the pod's default gateway, e.g. 10.244.0.1. */
  readonly gatewayIp: string;
  /** Interface names: in the pod namespace and its peer in the node namespace. */
  readonly podInterface: string;
  readonly nodeInterface: string;
}

export interface Topology {
  readonly node: { readonly ns: string };
  readonly pods: readonly PodEndpoint[];
  /** For a command runner prefix: `['ip', 'netns', 'exec', node.ns]`. */
  readonly nodeCommandPrefix: readonly string[];
  exec(ns: string, file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  spawnNode(ns: string, options: SpawnNodeOptions): Promise<NodeProcess>;
  /**
   * Makes `cidr` a local address of `ns`, e.g. 169.254.169.254/32 as a stand-in for the real IMDS. It goes on
   * loopback: the dummy link type needs a kernel module that containers often cannot load.
   */
  addLocalAddress(ns: string, cidr: string): Promise<void>;
  /** Kills processes started through this topology and deletes its namespaces (and with them every veth). */
  destroy(): Promise<void>;
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces named `<prefix>-<pid>-...` whose creating process no longer exists (crashed earlier runs). */
export async function sweepStaleNamespaces(prefix: string = DEFAULT_NAMESPACE_PREFIX): Promise<string[]> {
  const listing = await runCommand('ip', ['netns', 'list']);
  const pattern = new RegExp(`^(${prefix}-(\\d+)-[0-9a-f]+-[a-z0-9]+)\\b`);
  const removed: string[] = [];
  for (const line of listing.stdout.split('\n')) {
    const match = pattern.exec(line.trim());
    if (match === null) continue;
    const [, ns, pid] = match;
    if (ns === undefined || Number(pid) === process.pid || pidIsAlive(Number(pid))) continue;
    await runCommand('ip', ['netns', 'del', ns]);
    removed.push(ns);
  }
  return removed;
}

async function ip(args: readonly string[]): Promise<void> {
  await runOrThrow('ip', args);
}

/**
 * A "node" namespace and pod namespaces joined to it by veth pairs, built entirely inside new namespaces (the veths
 * are created in the node namespace, never in the root one). Each pod has a default route via its node-side veth,
 * loopback is up everywhere, and the node namespace forwards between pods.
 */
export async function createTopology(options: TopologyOptions = {}): Promise<Topology> {
  const prefix = options.prefix ?? DEFAULT_NAMESPACE_PREFIX;
  const podCount = options.pods ?? 1;
  const subnetBase = options.subnetBase ?? '10.244';
  if (!/^[a-z][a-z0-9]{0,7}$/.test(prefix)) throw new Error(`prefix must be 1-8 lowercase letters/digits: ${prefix}`);
  if (!Number.isInteger(podCount) || podCount < 1 || podCount > 250)
    throw new Error(`pods must be 1..250: ${podCount}`);
  await sweepStaleNamespaces(prefix);

  const id = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const nodeNs = `${id}-node`;
  const created: string[] = [];
  const processes = new Set<NodeProcess>();
  const addNamespace = async (ns: string) => {
    trackNamespace(ns);
    await ip(['netns', 'add', ns]);
    created.push(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  };

  const destroy = async () => {
    await Promise.all([...processes].map((child) => child.kill()));
    processes.clear();
    for (const ns of created.splice(0)) {
      await runCommand('ip', ['netns', 'del', ns]);
      untrackNamespace(ns);
    }
  };

  const pods: PodEndpoint[] = [];
  try {
    await addNamespace(nodeNs);
    await runOrThrow('ip', ['netns', 'exec', nodeNs, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    for (let index = 0; index < podCount; index++) {
      const podNs = `${id}-pod${index}`;
      await addNamespace(podNs);
      // Both ends are created inside the node namespace and one is moved straight into the pod, so nothing ever
      // appears in the root namespace and names only need to be unique per namespace (<= 15 chars).
      const nodeInterface = `vn${index}`;
      const podInterface = `eth0`;
      const gatewayIp = `${subnetBase}.${index}.1`;
      const podIp = `${subnetBase}.${index}.2`;
      await ip(['-n', nodeNs, 'link', 'add', nodeInterface, 'type', 'veth', 'peer', 'name', `vp${index}`]);
      await ip(['-n', nodeNs, 'link', 'set', `vp${index}`, 'netns', podNs]);
      await ip(['-n', podNs, 'link', 'set', `vp${index}`, 'name', podInterface]);
      await ip(['-n', nodeNs, 'addr', 'add', `${gatewayIp}/24`, 'dev', nodeInterface]);
      await ip(['-n', nodeNs, 'link', 'set', nodeInterface, 'up']);
      await ip(['-n', podNs, 'addr', 'add', `${podIp}/24`, 'dev', podInterface]);
      await ip(['-n', podNs, 'link', 'set', podInterface, 'up']);
      await ip(['-n', podNs, 'route', 'add', 'default', 'via', gatewayIp]);
      pods.push({ ns: podNs, ip: podIp, gatewayIp, podInterface, nodeInterface });
    }
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    node: { ns: nodeNs },
    pods,
    nodeCommandPrefix: ['ip', 'netns', 'exec', nodeNs],
    exec: (ns, file, args, execOptions) => execInNamespace(ns, file, args, execOptions),
    async spawnNode(ns, spawnOptions) {
      const child = await spawnNode(ns, spawnOptions);
      processes.add(child);
      child.child.once('exit', () => processes.delete(child));
      return child;
    },
    async addLocalAddress(ns, cidr) {
      await ip(['-n', ns, 'addr', 'add', cidr, 'dev', 'lo']);
    },
    destroy,
  };
}
