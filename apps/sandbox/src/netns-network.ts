/**
 * The sandbox's `--netns` network: one network namespace per node and one per pod, each pod joined to its node by
 * a veth pair (pod `10.<200+node>.<k>.2/24`, gateway `.1` on the node side), as a CNI plugin would. NMI runs inside
 * the node namespace and installs its real iptables redirect of 169.254.169.254 there. Nothing is created in the
 * root namespace: both veth ends are made inside the node namespace and one is moved into the pod's.
 */
import { inNamespace, ip, runCommand } from './netns-commands.js';

export interface NetnsPod {
  ns: string;
  ip: string;
}

const PREFIX = 'psb';

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces left by sandboxes that died without cleaning up (`psb-<pid>-...` of a dead pid). */
export async function sweepStaleSandboxNamespaces(): Promise<string[]> {
  const listing = await runCommand('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of listing.stdout.split('\n')) {
    const match = new RegExp(`^(${PREFIX}-(\\d+)-\\S+)`).exec(line.trim());
    if (!match || pidIsAlive(Number(match[2]))) continue;
    await runCommand('ip', ['netns', 'del', match[1]!]);
    removed.push(match[1]!);
  }
  return removed;
}

export class NetnsNetwork {
  private readonly nodeNamespaces = new Map<string, { ns: string; index: number }>();
  private readonly pods = new Map<string, NetnsPod>();
  private readonly created: string[] = [];
  private nextPod = 0;

  private constructor(private readonly id: string) {}

  static async create(nodeNames: readonly string[]): Promise<NetnsNetwork> {
    await sweepStaleSandboxNamespaces();
    const network = new NetnsNetwork(`${PREFIX}-${process.pid}-${Date.now().toString(36).slice(-4)}`);
    try {
      for (const [index, nodeName] of nodeNames.entries()) {
        const ns = `${network.id}-n${index}`;
        await network.addNamespace(ns);
        await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        await inNamespace(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
        network.nodeNamespaces.set(nodeName, { ns, index });
      }
    } catch (error) {
      await network.destroy();
      throw error;
    }
    return network;
  }

  nodeNamespace(nodeName: string): string {
    const entry = this.nodeNamespaces.get(nodeName);
    if (!entry) throw Object.assign(new Error(`no namespace for node ${nodeName}`), { code: 'unknown_node' });
    return entry.ns;
  }

  /** The pod namespace that owns `address`, if any. */
  podByAddress(address: string): NetnsPod | undefined {
    return this.pods.get(address);
  }

  /** A new pod namespace wired to the node's namespace; answers its address. */
  async addPod(nodeName: string): Promise<NetnsPod> {
    const node = this.nodeNamespaces.get(nodeName);
    if (!node) throw Object.assign(new Error(`no namespace for node ${nodeName}`), { code: 'unknown_node' });
    const k = this.nextPod++;
    if (k >= 254 * 250)
      throw Object.assign(new Error('too many pods for --netns'), { code: 'pod_addresses_exhausted' });
    const subnet = `10.${200 + (node.index % 50)}.${k % 254}`;
    const podNs = `${this.id}-p${k}`;
    const nodeSide = `vn${k}`;
    const podSide = `vp${k}`;
    await this.addNamespace(podNs);
    await ip(['-n', node.ns, 'link', 'add', nodeSide, 'type', 'veth', 'peer', 'name', podSide]);
    await ip(['-n', node.ns, 'link', 'set', podSide, 'netns', podNs]);
    await ip(['-n', podNs, 'link', 'set', podSide, 'name', 'eth0']);
    await ip(['-n', node.ns, 'addr', 'add', `${subnet}.1/24`, 'dev', nodeSide]);
    await ip(['-n', node.ns, 'link', 'set', nodeSide, 'up']);
    await ip(['-n', podNs, 'addr', 'add', `${subnet}.2/24`, 'dev', 'eth0']);
    await ip(['-n', podNs, 'link', 'set', 'eth0', 'up']);
    await ip(['-n', podNs, 'link', 'set', 'lo', 'up']);
    await ip(['-n', podNs, 'route', 'add', 'default', 'via', `${subnet}.1`]);
    const pod = { ns: podNs, ip: `${subnet}.2` };
    this.pods.set(pod.ip, pod);
    return pod;
  }

  /** Deletes the pod's namespace (and with it the veth pair). */
  async removePod(address: string): Promise<void> {
    const pod = this.pods.get(address);
    if (!pod) return;
    this.pods.delete(address);
    await runCommand('ip', ['netns', 'del', pod.ns]);
    const index = this.created.indexOf(pod.ns);
    if (index >= 0) this.created.splice(index, 1);
  }

  async destroy(): Promise<void> {
    for (const ns of this.created.splice(0).reverse()) await runCommand('ip', ['netns', 'del', ns]);
    this.pods.clear();
  }

  private async addNamespace(ns: string): Promise<void> {
    await ip(['netns', 'add', ns]);
    this.created.push(ns);
  }
}
