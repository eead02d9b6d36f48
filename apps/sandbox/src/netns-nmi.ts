import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeEmulator } from '@podid/kube-emulator';
import type { NmiLaunchOptions } from './component-launcher.js';
import { relayIntoNamespace } from './namespace-relay.js';
import { httpGetInNamespace } from './netns-commands.js';
import type { NetnsNetwork } from './netns-network.js';

/**
 * NMI inside a node namespace: relays make the API server, the node's IMDS and AAD reachable on that namespace's
 * loopback; NMI owns the iptables redirect there; its probe is read with curl from inside the namespace.
 */
export async function netnsNmiSettings(
  network: NetnsNetwork,
  nodeName: string,
  imdsUrl: string,
  kube: KubeEmulator,
  workDir: string,
  cleanups: (() => Promise<void>)[],
  aadUrl?: string,
): Promise<Partial<NmiLaunchOptions>> {
  const ns = network.nodeNamespace(nodeName);
  const kubeRelay = await relayIntoNamespace(ns, new URL(kube.url), workDir);
  cleanups.push(() => kubeRelay.close());
  const imdsRelay = await relayIntoNamespace(ns, new URL(imdsUrl), workDir);
  cleanups.push(() => imdsRelay.close());
  if (aadUrl !== undefined) {
    // AAD on the same port inside the namespace, so identities' `adEndpoint` (the emulator's URL) works unchanged
    // there: service principals and federated identities (token exchange) are served from inside the node too.
    const aad = new URL(aadUrl);
    const aadRelay = await relayIntoNamespace(ns, aad, workDir, { port: Number(aad.port) });
    cleanups.push(() => aadRelay.close());
  }
  const kubeconfig = structuredClone(kube.kubeconfig);
  const cluster = kubeconfig.clusters[0];
  if (cluster) cluster.cluster.server = `http://127.0.0.1:${kubeRelay.port}`;
  const kubeconfigPath = join(workDir, `kubeconfig-${nodeName}.json`);
  writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig), { mode: 0o600 });
  return {
    imdsUrl: `http://127.0.0.1:${imdsRelay.port}`,
    kubeconfigPath,
    wrapper: ['ip', 'netns', 'exec', ns],
    listenAddress: '127.0.0.1',
    port: 2579,
    manageIptables: true,
    probe: async (probePort) => (await httpGetInNamespace(ns, `http://127.0.0.1:${probePort}/healthz`, {}, 2))?.body,
  };
}
