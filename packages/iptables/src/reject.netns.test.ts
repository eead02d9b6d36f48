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
import { ensureRedirect } from './ensure-redirect.js';
import { cleanupMetadataRules, installReject } from './reject-rules.js';
import { sysctlViaRunner } from './route-localnet.js';

/**
 * Fail-closed rules with real packets: the node namespace has a stand-in IMDS on 169.254.169.254:80 (as on an Azure
 * node, where that address answers with the node's identities), so a request that escapes NMI is visible.
 */
describeIfNetns('fail-closed reject rule and cleanup in network namespaces', () => {
  let topology: Topology;
  let nmi: EchoServer;
  let imds: EchoServer;
  let runner: ReturnType<typeof withCommandPrefix>;
  let natBefore: string;
  let filterBefore: string;
  const save = async (table: 'nat' | 'filter') =>
    (await topology.exec(topology.node.ns, 'iptables-save', ['-t', table])).stdout
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
  const filterRules = async () =>
    (await topology.exec(topology.node.ns, 'iptables', ['-w', '-S'])).stdout.trim().split('\n');
  const fromPod = () =>
    httpRequestFromNamespace(topology.pods[0]!.ns, {
      url: 'http://169.254.169.254/metadata/identity/oauth2/token',
      timeoutMs: 2000,
    });
  const fromHost = () =>
    httpRequestFromNamespace(topology.node.ns, { url: 'http://169.254.169.254/metadata/instance', timeoutMs: 2000 });
  const serverOf = (result: Awaited<ReturnType<typeof fromPod>>) =>
    result.ok ? (result.json as EchoReply).server : result.error;

  beforeAll(async () => {
    topology = await createTopology({ pods: 1, prefix: 'prej' });
    runner = withCommandPrefix(createProcessRunner(), topology.nodeCommandPrefix);
    await sysctlViaRunner(runner).write('net/ipv4/conf/all/route_localnet', '1');
    await topology.addLocalAddress(topology.node.ns, '169.254.169.254/32');
    imds = await startEchoServer(topology.node.ns, { host: '169.254.169.254', port: 80, name: 'imds' });
    nmi = await startEchoServer(topology.node.ns, { host: '127.0.0.1', port: 0, name: 'nmi' });
    // Rules that are not ours must survive everything untouched.
    await topology.exec(topology.node.ns, 'iptables', [
      '-w',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-p',
      'udp',
      '-j',
      'RETURN',
    ]);
    await topology.exec(topology.node.ns, 'iptables', ['-w', '-A', 'FORWARD', '-p', 'udp', '-j', 'ACCEPT']);
    natBefore = await save('nat');
    filterBefore = await save('filter');
  });

  afterAll(async () => {
    await nmi?.close();
    await imds?.close();
    await topology?.destroy();
  });

  test('without any rule the pod reaches the node IMDS (the leak the rules close)', async () => {
    expect(serverOf(await fromPod())).toBe('imds');
  });

  test('reject replaces the redirect in one restore: pods get a refusal, host callers still reach IMDS', async () => {
    await ensureRedirect({ runner, targetPort: nmi.port });
    expect(serverOf(await fromPod())).toBe('nmi');

    const result = await installReject({ runner });
    expect(result.redirectRemoved).toBe(true);
    expect(await save('nat')).toBe(natBefore);
    expect(await filterRules()).toEqual(
      expect.arrayContaining([
        '-A INPUT -j aad-metadata-reject',
        '-A FORWARD -j aad-metadata-reject',
        '-A aad-metadata-reject ! -s 127.0.0.1/32 -d 169.254.169.254/32 ! -i lo -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset',
      ]),
    );
    expect(serverOf(await fromPod())).toBe('ECONNREFUSED');
    expect(serverOf(await fromHost())).toBe('imds');

    // Idempotent: a second reject changes nothing.
    const filterAfter = await save('filter');
    await installReject({ runner });
    expect(await save('filter')).toBe(filterAfter);
  });

  test('the next redirect replaces the reject rule: one jump, no reject chain, pods reach NMI', async () => {
    const result = await ensureRedirect({ runner, targetPort: nmi.port });
    expect(result.repairs).toEqual(['chain_created', 'jump_inserted', 'reject_replaced']);
    expect(await save('filter')).toBe(filterBefore);
    const nat = await save('nat');
    expect(nat.split('\n').filter((line) => line === '-A PREROUTING -j aad-metadata')).toHaveLength(1);
    expect(serverOf(await fromPod())).toBe('nmi');
  });

  test('cleanup from the redirect state restores iptables-save exactly', async () => {
    expect(await save('nat')).not.toBe(natBefore);
    expect((await cleanupMetadataRules({ runner })).changed).toBe(true);
    expect(await save('nat')).toBe(natBefore);
    expect(await save('filter')).toBe(filterBefore);
    expect((await cleanupMetadataRules({ runner })).changed).toBe(false);
  });

  test('cleanup from the reject state restores iptables-save exactly', async () => {
    await ensureRedirect({ runner, targetPort: nmi.port });
    await installReject({ runner });
    expect(await save('filter')).not.toBe(filterBefore);
    await cleanupMetadataRules({ runner });
    expect(await save('nat')).toBe(natBefore);
    expect(await save('filter')).toBe(filterBefore);
    expect(serverOf(await fromPod())).toBe('imds');
  });

  test('cleanup from a half-written state (chain without its DNAT, duplicate and conditional jumps) restores exactly', async () => {
    const exec = (args: string[]) => topology.exec(topology.node.ns, 'iptables', ['-w', ...args]);
    await exec(['-t', 'nat', '-N', 'aad-metadata']);
    await exec(['-t', 'nat', '-A', 'aad-metadata', '-j', 'RETURN']);
    await exec(['-t', 'nat', '-I', 'PREROUTING', '1', '-j', 'aad-metadata']);
    await exec(['-t', 'nat', '-A', 'PREROUTING', '-j', 'aad-metadata']);
    await exec(['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '-j', 'aad-metadata']);
    await exec(['-N', 'aad-metadata-reject']);
    await exec(['-I', 'FORWARD', '1', '-j', 'aad-metadata-reject']);
    expect(await save('nat')).not.toBe(natBefore);
    await cleanupMetadataRules({ runner });
    expect(await save('nat')).toBe(natBefore);
    expect(await save('filter')).toBe(filterBefore);
  });
});
