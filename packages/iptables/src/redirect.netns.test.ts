import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  createTopology,
  describeIfNetns,
  type EchoReply,
  type EchoServer,
  httpRequestFromNamespace,
  startEchoServer,
  type Topology,
} from '@podid/netns-testkit';
import { createProcessRunner, withCommandPrefix } from './command-runner.js';
import { ensureRedirect, removeRedirect } from './ensure-redirect.js';
import type { EnsureRedirectResult } from './ensure-redirect.js';
import { expectedChainLines } from './redirect-options.js';
import { type SyncTimer, startRedirectSync } from './redirect-sync.js';
import { checkRouteLocalnet, sysctlViaRunner } from './route-localnet.js';

// Real iptables (nf_tables backend) inside a throwaway node namespace; the pod namespace reaches it over a veth.
describeIfNetns('iptables redirect in network namespaces', () => {
  let topology: Topology;
  let nmi: EchoServer;
  let nodeRunner: ReturnType<typeof withCommandPrefix>;
  let natBefore: string;
  const redirect = () => ({ runner: nodeRunner, targetPort: nmi.port });
  const nat = async () => (await topology.exec(topology.node.ns, 'iptables', ['-w', '-t', 'nat', '-S'])).stdout;
  const chainLines = async () =>
    (await topology.exec(topology.node.ns, 'iptables', ['-w', '-t', 'nat', '-S', 'aad-metadata'])).stdout
      .trim()
      .split('\n');
  const preroutingLines = async () =>
    (await topology.exec(topology.node.ns, 'iptables', ['-w', '-t', 'nat', '-S', 'PREROUTING'])).stdout
      .trim()
      .split('\n');
  const metadataRequest = () =>
    httpRequestFromNamespace(topology.pods[0]!.ns, {
      url: 'http://169.254.169.254/metadata/instance',
      timeoutMs: 1500,
    });

  beforeAll(async () => {
    topology = await createTopology({ pods: 1 });
    nodeRunner = withCommandPrefix(createProcessRunner(), topology.nodeCommandPrefix);
    // A rule that is not ours: it must survive ensure and removal untouched.
    await topology.exec(topology.node.ns, 'iptables', [
      '-w',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-p',
      'udp',
      '--dport',
      '9',
      '-j',
      'RETURN',
    ]);
    natBefore = await nat();
    nmi = await startEchoServer(topology.node.ns, { host: '127.0.0.1', port: 0, name: 'nmi' });
  });

  afterAll(async () => {
    await nmi?.close();
    await topology?.destroy();
  });

  test('without the rules a pod request to 169.254.169.254:80 does not reach the server', async () => {
    const result = await metadataRequest();
    expect(result.ok).toBe(false);
  });

  test('route_localnet: reported as missing, then enabled on request', async () => {
    const sysctl = sysctlViaRunner(nodeRunner);
    const missing = await checkRouteLocalnet({ targetIp: '127.0.0.1', sysctl });
    expect(missing.ok).toBe(false);
    expect(missing.problem).toContain('net.ipv4.conf.all.route_localnet=0');

    // Rules alone are not enough: the kernel drops loopback-DNAT'ed packets as martians.
    await ensureRedirect(redirect());
    expect((await metadataRequest()).ok).toBe(false);

    expect(await checkRouteLocalnet({ targetIp: '127.0.0.1', sysctl, enable: true })).toMatchObject({ ok: true });
    expect((await sysctl.read('net/ipv4/conf/all/route_localnet')).trim()).toBe('1');
  });

  test('checklist row 41: exact chain, jump is PREROUTING rule 1, and a pod request reaches the target with its own source IP', async () => {
    await ensureRedirect(redirect());
    expect(await chainLines()).toEqual([
      '-N aad-metadata',
      `-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:${nmi.port}`,
      '-A aad-metadata -j RETURN',
    ]);
    expect((await preroutingLines())[1]).toBe('-A PREROUTING -j aad-metadata');

    const result = await metadataRequest();
    if (!result.ok) throw new Error(`request failed: ${result.error} ${result.message}`);
    const reply = result.json as EchoReply;
    expect(reply.server).toBe('nmi');
    expect(reply.remoteAddress).toBe(topology.pods[0]!.ip);
    expect(reply.url).toBe('/metadata/instance');
  });

  test('100 successive ensures (100 restarts) leave exactly one jump and exactly the expected chain', async () => {
    const results: EnsureRedirectResult[] = [];
    for (let restart = 0; restart < 100; restart++) results.push(await ensureRedirect(redirect()));
    expect(results.every((result) => result.repairs.length === 0)).toBe(true);
    expect((await preroutingLines()).filter((line) => line.includes('aad-metadata'))).toEqual([
      '-A PREROUTING -j aad-metadata',
    ]);
    expect(await chainLines()).toEqual(
      expectedChainLines({
        metadataIp: '169.254.169.254',
        metadataPort: 80,
        targetIp: '127.0.0.1',
        targetPort: nmi.port,
      }),
    );
  });

  test('checklist row 42: a DNAT rule deleted by hand and a deleted jump are restored by the next resync tick', async () => {
    let tick: () => void = () => {};
    const timer: SyncTimer = {
      every(_intervalMs, callback) {
        tick = callback;
        return () => {};
      },
    };
    const repaired: EnsureRedirectResult[] = [];
    const sync = startRedirectSync({
      ...redirect(),
      intervalMs: 60_000,
      timer,
      onRepaired: (result) => repaired.push(result),
    });
    try {
      const expected = await chainLines();
      await topology.exec(topology.node.ns, 'iptables', ['-w', '-t', 'nat', '-D', 'aad-metadata', '1']);
      await topology.exec(topology.node.ns, 'iptables', ['-w', '-t', 'nat', '-D', 'PREROUTING', '-j', 'aad-metadata']);
      expect(await chainLines()).toEqual(['-N aad-metadata', '-A aad-metadata -j RETURN']);
      expect((await metadataRequest()).ok).toBe(false);

      tick();
      await sync.syncNow(); // joins the pass the tick started

      expect(repaired.map((result) => result.repairs)).toEqual([['chain_rewritten', 'jump_inserted']]);
      expect(await chainLines()).toEqual(expected);
      expect((await preroutingLines())[1]).toBe('-A PREROUTING -j aad-metadata');
      expect((await metadataRequest()).ok).toBe(true);
    } finally {
      sync.stop();
    }
  });

  test('checklist row 43: removeRedirect leaves `iptables -t nat -S` exactly as before, and is idempotent', async () => {
    expect(await nat()).not.toBe(natBefore);
    expect(await removeRedirect({ runner: nodeRunner })).toEqual({ jumpsRemoved: 1, chainRemoved: true });
    expect(await nat()).toBe(natBefore);
    expect(await removeRedirect({ runner: nodeRunner })).toEqual({ jumpsRemoved: 0, chainRemoved: false });
    expect(await nat()).toBe(natBefore);
    expect((await metadataRequest()).ok).toBe(false);
  });
});
