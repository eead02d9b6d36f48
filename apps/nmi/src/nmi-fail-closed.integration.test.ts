import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createTopology, describeIfNetns, type Topology } from '@podid/netns-testkit';
import { type EmulatedCluster, NODE_NAME, startEmulatedCluster } from './test-support/emulated-cluster.js';
import { bridgeIntoNamespace, type NamespaceBridge } from './test-support/namespace-bridge.js';
import { type NmiChild, requireBuiltNmi, spawnNmi } from './test-support/nmi-process.js';
import { type NodeImds, startNodeImds } from './test-support/node-imds.js';
import { type LoopResult, startTokenLoop } from './test-support/token-loop.js';

const RESOURCE = 'https://vault.azure.net';
const TOKEN_URL = `http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(RESOURCE)}`;
/** A refused connection: RST to the SYN, or RST from an exiting NMI for a connection still in its accept backlog. */
const REFUSALS = ['error:ECONNREFUSED', 'error:ECONNRESET'];
const STARTUP_TAINT = { key: 'podid.io/nmi-not-ready', effect: 'NoSchedule' };
const SIGTERM_RESTARTS = 50;
const KILL_RESTARTS = 10;

/**
 * Issue 16's acceptance, with real packets: NMI in a node namespace, a pod namespace calling 169.254.169.254, and an
 * IMDS at 169.254.169.254 on the node (relayed to the VM's emulated IMDS, which also holds the pod's identity) that
 * counts every connection it gets, so any request escaping NMI during start-up, restart or after a crash is seen.
 */
describeIfNetns(
  'NMI fails closed: start-up taint, reject on exit, crash, cleanup (issue 16)',
  () => {
    let topology: Topology;
    let cluster: EmulatedCluster;
    const bridges: NamespaceBridge[] = [];
    let nodeImds: NodeImds;
    let nodeNs: string;
    let podNs: string;
    let podIp: string;
    let kubeconfigPath: string;
    let imdsEndpoint: string;
    let natBeforeNmi: string;
    let filterBeforeNmi: string;
    const running = new Set<NmiChild>();

    const exec = (file: string, args: string[]) => topology.exec(nodeNs, file, args);
    const save = async (table: 'nat' | 'filter') =>
      (await exec('iptables-save', ['-t', table])).stdout
        .split('\n')
        .filter((line) => !line.startsWith('#'))
        .join('\n');
    const nmiArgs = (extra: readonly string[] = []) => [
      `--node=${NODE_NAME}`,
      '--nmi-port=2579',
      '--http-probe-port=0',
      '--prometheus-port=0',
      '--set-route-localnet=true',
      '--enable-conntrack-deletion=true',
      `--imds-endpoint=${imdsEndpoint}`,
      `--kubeconfig=${kubeconfigPath}`,
      `--kubelet-config=${cluster.kubeletConfigPath}`,
      '--termination-wait=0s',
      '--token-cache-size=10',
      '--log-format=json',
      ...extra,
    ];
    const startNmi = (extra: readonly string[] = [], env?: NodeJS.ProcessEnv) => {
      const child = spawnNmi(nmiArgs(extra), {
        commandPrefix: ['ip', 'netns', 'exec', nodeNs],
        ...(env ? { env } : {}),
      });
      running.add(child);
      void child.exited.then(() => running.delete(child));
      return child;
    };
    const nodeTaints = async () =>
      ((await cluster.kubeRequest('GET', `/api/v1/nodes/${NODE_NAME}`)) as { spec?: { taints?: unknown[] } }).spec
        ?.taints ?? [];
    const setNodeTaints = async (taints: unknown[]) => {
      const node = (await cluster.kubeRequest('GET', `/api/v1/nodes/${NODE_NAME}`)) as { spec?: object };
      await cluster.kubeRequest('PUT', `/api/v1/nodes/${NODE_NAME}`, { ...node, spec: { ...node.spec, taints } });
    };
    /** podid's rules right after a start: exactly one jump, exactly the chain, no reject rule left. */
    const expectOneRuleSet = async () => {
      const nat = (await exec('iptables', ['-w', '-t', 'nat', '-S'])).stdout.trim().split('\n');
      expect(nat.filter((line) => line.includes('aad-metadata'))).toEqual([
        '-N aad-metadata',
        '-A PREROUTING -j aad-metadata',
        '-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579',
        '-A aad-metadata -j RETURN',
      ]);
      expect((await exec('iptables', ['-w', '-S'])).stdout).not.toContain('aad-metadata');
    };
    const summarise = (results: readonly LoopResult[]) => {
      const counts = new Map<string, number>();
      for (const result of results) {
        const key =
          result.kind === 'token'
            ? `token:${result.appid === cluster.identities[0].clientId ? 'own' : result.appid}`
            : result.kind === 'status'
              ? `status:${result.status}`
              : `error:${result.code}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return Object.fromEntries(counts);
    };

    beforeAll(async () => {
      requireBuiltNmi();
      topology = await createTopology({ pods: 1, prefix: 'pfcl' });
      nodeNs = topology.node.ns;
      const pod = topology.pods[0];
      if (!pod) throw new Error('topology without a pod');
      podNs = pod.ns;
      podIp = pod.ip;
      natBeforeNmi = await save('nat');
      filterBeforeNmi = await save('filter');
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
      imdsEndpoint = `http://127.0.0.1:${imdsBridge.port}`;
      nodeImds = await startNodeImds(topology, nodeNs, imdsBridge.port);
      kubeconfigPath = join(cluster.tempDir, 'kubeconfig-in-node-ns.json');
      const kubeconfig = structuredClone(cluster.kube.kubeconfig);
      const clusterEntry = kubeconfig.clusters[0];
      if (!clusterEntry) throw new Error('kubeconfig without a cluster');
      clusterEntry.cluster.server = `http://127.0.0.1:${kubeBridge.port}`;
      writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig), { mode: 0o600 });

      await cluster.kubeRequest('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: NODE_NAME },
        spec: { taints: [STARTUP_TAINT] },
      });
      await cluster.createNamespace('apps');
      await cluster.createPod('apps', 'web-1', podIp, 'web');
      await cluster.assign('apps', 'web-1', cluster.identities[0], 'Assigned');
      // The node's VM holds the pod's identity too: an escaped request would get a token, only the counter tells.
      await cluster.assignToVm(cluster.identities[0]);
    }, 90_000);

    afterAll(async () => {
      for (const child of running) await child.stop('SIGKILL');
      await nodeImds?.close();
      for (const bridge of bridges) await bridge.close();
      await cluster?.close();
      await topology?.destroy();
    });

    test('without NMI a pod reaches the node IMDS (the stand-in makes a leak visible)', async () => {
      const before = nodeImds.connectionsFrom(podIp);
      const loop = await startTokenLoop(topology, podNs, { url: TOKEN_URL, intervalMs: 0, maxRequests: 1 });
      await loop.stop();
      expect(nodeImds.connectionsFrom(podIp)).toBe(before + 1);
    });

    test('the start-up taint stays while the redirect cannot be installed, and goes once NMI serves', async () => {
      await setNodeTaints([STARTUP_TAINT]); // as a node pool registers its nodes
      // iptables-restore that always fails: NMI must exit without touching the taint.
      const failingBin = join(cluster.tempDir, 'failing-bin');
      mkdirSync(failingBin, { recursive: true });
      writeFileSync(join(failingBin, 'iptables-restore'), '#!/bin/sh\necho "simulated failure" >&2\nexit 1\n');
      chmodSync(join(failingBin, 'iptables-restore'), 0o755);
      const failing = startNmi([], { ...process.env, PATH: `${failingBin}:${process.env['PATH'] ?? ''}` });
      expect((await failing.exited).code).toBe(1);
      expect(failing.logs.find((record) => record['code'] === 'iptables_failed')).toBeDefined();
      expect(failing.logs.map((record) => record.msg)).not.toContain('removed start-up taint from node');
      expect(await nodeTaints()).toEqual([STARTUP_TAINT]);

      const nmi = startNmi();
      await nmi.waitForLog(/^removed start-up taint from node$/);
      expect(await nodeTaints()).toEqual([]);
      const messages = nmi.logs.map((record) => record.msg);
      const removedAt = messages.indexOf('removed start-up taint from node');
      for (const before of [
        'informer caches synced',
        'token server listening',
        'installed iptables redirect',
        'deleted conntrack entries to the metadata address',
        'NMI is active',
      ]) {
        expect({ before, index: messages.indexOf(before) }).toEqual({ before, index: expect.any(Number) });
        expect(messages.indexOf(before)).toBeGreaterThanOrEqual(0);
        expect(messages.indexOf(before)).toBeLessThan(removedAt);
      }
      expect(await nmi.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    });

    test(`${SIGTERM_RESTARTS} SIGTERM and ${KILL_RESTARTS} kill -9 restarts under a token loop: zero requests reach the node IMDS`, async () => {
      // The loop starts once a first NMI serves: what happens before that is the start-up taint's job (above).
      let nmi = startNmi();
      await nmi.waitForLog(/^NMI is active$/);
      const leakedBefore = nodeImds.connectionsFrom(podIp);
      const loop = await startTokenLoop(topology, podNs, { url: TOKEN_URL, intervalMs: 100, maxRequests: 5_000 });
      try {
        for (let restart = 0; restart < SIGTERM_RESTARTS + KILL_RESTARTS; restart++) {
          if (restart < SIGTERM_RESTARTS) {
            expect(await nmi.stop('SIGTERM')).toEqual({ code: 0, signal: null });
            // Between NMIs pods are refused, not redirected and not sent to the real IMDS.
            expect((await exec('iptables', ['-w', '-S', 'aad-metadata-reject'])).stdout).toContain('REJECT');
          } else {
            expect(await nmi.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
            // A crash leaves the DNAT to the now closed port.
            expect((await exec('iptables', ['-w', '-t', 'nat', '-S', 'aad-metadata'])).stdout).toContain('DNAT');
          }
          nmi = startNmi();
          await nmi.waitForLog(/^NMI is active$/);
          await expectOneRuleSet();
        }
        expect(await nmi.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      } finally {
        const results = await loop.stop();
        const summary = summarise(results);
        // Printed for the record (how many got a token, how many were refused).
        process.stdout.write(`restart loop: ${results.length} requests ${JSON.stringify(summary)}\n`);
        expect(nodeImds.connectionsFrom(podIp)).toBe(leakedBefore);
        expect(Object.keys(summary).filter((key) => key !== 'token:own' && !REFUSALS.includes(key))).toEqual([]);
        expect(summary['token:own']).toBeGreaterThan(0);
        expect(summary['error:ECONNREFUSED']).toBeGreaterThan(0);
      }
    }, 600_000);

    test('with --on-exit=remove (upstream) the same loop does reach the node IMDS', async () => {
      const leakedBefore = nodeImds.connectionsFrom(podIp);
      const loop = await startTokenLoop(topology, podNs, { url: TOKEN_URL, intervalMs: 100, maxRequests: 2_000 });
      try {
        for (let restart = 0; restart < 10 && nodeImds.connectionsFrom(podIp) === leakedBefore; restart++) {
          const nmi = startNmi(['--on-exit=remove']);
          await nmi.waitForLog(/^NMI is active$/);
          expect(await nmi.stop('SIGTERM')).toEqual({ code: 0, signal: null });
        }
      } finally {
        await loop.stop();
      }
      expect(nodeImds.connectionsFrom(podIp)).toBeGreaterThan(leakedBefore);
    }, 300_000);

    const startCleanup = () => {
      const child = spawnNmi(['cleanup', '--metadata-ip=169.254.169.254', '--log-format=json'], {
        commandPrefix: ['ip', 'netns', 'exec', nodeNs],
      });
      running.add(child);
      return child;
    };

    test('nmi cleanup restores iptables-save exactly from the redirect state (after kill -9)', async () => {
      const nmi = startNmi();
      await nmi.waitForLog(/^NMI is active$/);
      await nmi.stop('SIGKILL');
      expect(await save('nat')).not.toBe(natBeforeNmi);
      const cleanup = startCleanup();
      expect((await cleanup.exited).code).toBe(0);
      expect(cleanup.logs.map((record) => record.msg)).toContain(
        'removed podid iptables rules (aad-metadata, aad-metadata-reject)',
      );
      expect(await save('nat')).toBe(natBeforeNmi);
      expect(await save('filter')).toBe(filterBeforeNmi);
    });

    test('nmi cleanup restores iptables-save exactly from the reject state (after SIGTERM)', async () => {
      const nmi = startNmi();
      await nmi.waitForLog(/^NMI is active$/);
      await nmi.stop('SIGTERM');
      expect(await save('filter')).not.toBe(filterBeforeNmi);
      const cleanup = startCleanup();
      expect((await cleanup.exited).code).toBe(0);
      expect(await save('nat')).toBe(natBeforeNmi);
      expect(await save('filter')).toBe(filterBeforeNmi);
    });

    test('nmi cleanup restores iptables-save exactly from a half-written chain', async () => {
      const ipt = (args: string[]) => exec('iptables', ['-w', ...args]);
      await ipt(['-t', 'nat', '-N', 'aad-metadata']);
      await ipt(['-t', 'nat', '-A', 'aad-metadata', '-j', 'RETURN']);
      await ipt(['-t', 'nat', '-I', 'PREROUTING', '1', '-j', 'aad-metadata']);
      await ipt(['-t', 'nat', '-A', 'PREROUTING', '-j', 'aad-metadata']);
      await ipt(['-N', 'aad-metadata-reject']);
      await ipt(['-I', 'INPUT', '1', '-j', 'aad-metadata-reject']);
      const cleanup = startCleanup();
      expect((await cleanup.exited).code).toBe(0);
      expect(await save('nat')).toBe(natBeforeNmi);
      expect(await save('filter')).toBe(filterBeforeNmi);
      const again = startCleanup();
      expect((await again.exited).code).toBe(0);
      expect(again.logs.map((record) => record.msg)).toContain('no podid iptables rules on this node');
    });
  },
  { binaries: ['ip', 'iptables', 'iptables-save', 'conntrack'] },
);
