import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createTopology, describeIfNetns, httpRequestFromNamespace, type Topology } from '@podid/netns-testkit';
import { type EmulatedCluster, NODE_NAME, startEmulatedCluster } from './test-support/emulated-cluster.js';
import { eventually } from './test-support/http-get.js';
import { bridgeIntoNamespace, type NamespaceBridge } from './test-support/namespace-bridge.js';
import { type NmiChild, requireBuiltNmi, spawnNmi } from './test-support/nmi-process.js';

const RESOURCE = 'https://vault.azure.net';
const TOKEN_URL = `http://169.254.169.254/metadata/identity/oauth2/token?resource=${encodeURIComponent(RESOURCE)}`;

/**
 * NMI as it runs on a node: inside a "node" network namespace, programming that namespace's real iptables, with a
 * pod in its own namespace asking 169.254.169.254 for a token. The kube-emulator and the VM's IMDS stay on the
 * test's loopback; bridges make them reachable on the node namespace's loopback (nothing else is routed).
 */
describeIfNetns(
  'NMI in a node network namespace with real iptables (rows 41-43, 46)',
  () => {
    let topology: Topology;
    let cluster: EmulatedCluster;
    let bridges: NamespaceBridge[] = [];
    let nmi: NmiChild;
    let nodeNs: string;
    let podNs: string;
    let probePort: number;

    const natRules = async () => (await topology.exec(nodeNs, 'iptables', ['-w', '-t', 'nat', '-S'])).stdout;

    beforeAll(async () => {
      requireBuiltNmi();
      topology = await createTopology({ pods: 1, prefix: 'pnmi' });
      nodeNs = topology.node.ns;
      const pod = topology.pods[0];
      if (!pod) throw new Error('topology without a pod');
      podNs = pod.ns;
      cluster = await startEmulatedCluster();
      const kubeUrl = new URL(cluster.kube.url);
      const kubeBridge = await bridgeIntoNamespace(
        topology,
        nodeNs,
        { host: kubeUrl.hostname, port: Number(kubeUrl.port) },
        cluster.tempDir,
      );
      bridges.push(kubeBridge);
      const imds = new URL(cluster.imdsUrl);
      const imdsBridge = await bridgeIntoNamespace(
        topology,
        nodeNs,
        { host: imds.hostname, port: Number(imds.port) },
        cluster.tempDir,
      );
      bridges.push(imdsBridge);
      const kubeconfigPath = join(cluster.tempDir, 'kubeconfig-in-node-ns.json');
      const kubeconfig = structuredClone(cluster.kube.kubeconfig);
      const clusterEntry = kubeconfig.clusters[0];
      if (!clusterEntry) throw new Error('kubeconfig without a cluster');
      clusterEntry.cluster.server = `http://127.0.0.1:${kubeBridge.port}`;
      writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig), { mode: 0o600 });

      await cluster.createNamespace('apps');
      await cluster.createPod('apps', 'web-1', pod.ip, 'web');
      await cluster.assign('apps', 'web-1', cluster.identities[0], 'Assigned');
      await cluster.assignToVm(cluster.identities[0]);

      nmi = spawnNmi(
        [
          `--node=${NODE_NAME}`,
          '--nmi-listen-address=127.0.0.1',
          '--nmi-port=2579',
          '--http-probe-port=0',
          '--prometheus-port=0',
          '--manage-iptables=true',
          '--set-route-localnet=true',
          '--enable-conntrack-deletion=true',
          '--ipt-update-interval-sec=1',
          `--imds-endpoint=http://127.0.0.1:${imdsBridge.port}`,
          `--kubeconfig=${kubeconfigPath}`,
          `--kubelet-config=${cluster.kubeletConfigPath}`,
          '--termination-wait=0s',
          '--log-format=json',
        ],
        { commandPrefix: ['ip', 'netns', 'exec', nodeNs] },
      );
      const servers = await nmi.waitForLog(/^probe and metrics servers listening$/);
      probePort = Number(servers['probePort']);
      await nmi.waitForLog(/^NMI is active$/);
    }, 90_000);

    afterAll(async () => {
      await nmi?.stop('SIGKILL');
      for (const bridge of bridges) await bridge.close();
      bridges = [];
      await cluster?.close();
      await topology?.destroy();
    });

    test('the aad-metadata chain is installed exactly, jumped to first from PREROUTING (row 41)', async () => {
      const rules = (await topology.exec(nodeNs, 'iptables', ['-w', '-t', 'nat', '-S', 'aad-metadata'])).stdout;
      expect(rules.trim().split('\n')).toEqual([
        '-N aad-metadata',
        '-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579',
        '-A aad-metadata -j RETURN',
      ]);
      const prerouting = (await topology.exec(nodeNs, 'iptables', ['-w', '-t', 'nat', '-S', 'PREROUTING'])).stdout;
      expect(prerouting.trim().split('\n')[1]).toBe('-A PREROUTING -j aad-metadata');
      const probe = await httpRequestFromNamespace(nodeNs, { url: `http://127.0.0.1:${probePort}/healthz` });
      expect(probe).toMatchObject({ ok: true, status: 200, body: 'Active' });
    });

    test('a pod asking 169.254.169.254 gets its own identity’s token from NMI (row 46)', async () => {
      const answer = await eventually(async () => {
        const candidate = await httpRequestFromNamespace(podNs, {
          url: TOKEN_URL,
          headers: { Metadata: 'true' },
          timeoutMs: 10_000,
        });
        return candidate.ok ? candidate : undefined;
      }, 'an answer from 169.254.169.254 in the pod namespace');
      if (!answer.ok) throw new Error('unreachable');
      expect(answer.status).toBe(200);
      const body = answer.json as Record<string, string>;
      const claims = JSON.parse(Buffer.from(body['access_token']?.split('.')[1] ?? '', 'base64url').toString()) as {
        appid: string;
      };
      expect(claims.appid).toBe(cluster.identities[0].clientId);
      const line = nmi.logs.find((record) => record.msg.startsWith('status (200)'));
      expect(line?.msg).toMatch(/req\.remote=10\.244\.0\.2$/);
    });

    test('a flushed chain is restored by the resync loop (row 42)', async () => {
      await topology.exec(nodeNs, 'iptables', ['-w', '-t', 'nat', '-F', 'aad-metadata']);
      await eventually(
        async () => ((await natRules()).includes('--to-destination 127.0.0.1:2579') ? true : undefined),
        'the DNAT rule to come back',
      );
      await nmi.waitForLog(/^flushing iptables to add aad-metadata custom chains$/);
    });

    test('SIGTERM removes the jump and the chain, then exits 0 (row 43)', async () => {
      expect(await natRules()).toContain('aad-metadata');
      expect(await nmi.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(await natRules()).not.toContain('aad-metadata');
      expect(nmi.logs.map((record) => record.msg)).toContain('handled termination, awaiting pod deletion');
    });
  },
  { binaries: ['ip', 'iptables', 'conntrack'] },
);
