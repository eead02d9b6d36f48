import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  createTopology,
  describeIfNetns,
  type EchoReply,
  type EchoServer,
  type HttpSession,
  openHttpSession,
  startEchoServer,
  type Topology,
} from '@podid/netns-testkit';
import { type CommandRunner, createProcessRunner, withCommandPrefix } from './command-runner.js';
import { flushConntrack } from './conntrack.js';
import { ensureRedirect, removeRedirect } from './ensure-redirect.js';
import { checkRouteLocalnet, sysctlViaRunner } from './route-localnet.js';

const serverOf = (result: Awaited<ReturnType<HttpSession['request']>>): string =>
  result.ok ? (result.json as EchoReply).server : `failed:${result.error}`;

// Checklist row 44. The "real IMDS" is 169.254.169.254 on the node namespace's loopback, so a pod can hold
// an established keep-alive connection to it before the redirect exists.
describeIfNetns(
  'conntrack flush in network namespaces',
  () => {
    let topology: Topology;
    let realImds: EchoServer;
    let nmi: EchoServer;
    let session: HttpSession;
    let nodeRunner: CommandRunner;
    const metadataFlows = async () =>
      (
        await topology.exec(topology.node.ns, 'conntrack', [
          '-L',
          '-p',
          'tcp',
          '-d',
          '169.254.169.254',
          '--dport',
          '80',
        ])
      ).stdout;

    beforeAll(async () => {
      topology = await createTopology({ pods: 1 });
      nodeRunner = withCommandPrefix(createProcessRunner(), topology.nodeCommandPrefix);
      await topology.addLocalAddress(topology.node.ns, '169.254.169.254/32');
      // On a real node kube-proxy's conntrack rules exist long before NMI, so every flow is tracked (and NAT-bound)
      // from its first packet. A fresh namespace tracks nothing until some rule needs conntrack; this copy of
      // kube-proxy's KUBE-FORWARD INVALID-drop rule stands in for it (it never sees INPUT traffic).
      await topology.exec(topology.node.ns, 'iptables', [
        '-w',
        '-A',
        'FORWARD',
        '-m',
        'conntrack',
        '--ctstate',
        'INVALID',
        '-j',
        'DROP',
      ]);
      await checkRouteLocalnet({ targetIp: '127.0.0.1', sysctl: sysctlViaRunner(nodeRunner), enable: true });
      realImds = await startEchoServer(topology.node.ns, { host: '169.254.169.254', port: 80, name: 'real-imds' });
      nmi = await startEchoServer(topology.node.ns, { host: '127.0.0.1', port: 0, name: 'nmi' });
      session = await openHttpSession(topology.pods[0]!.ns);
    });

    afterAll(async () => {
      await session?.close();
      await realImds?.close();
      await nmi?.close();
      await topology?.destroy();
    });

    test('checklist row 44: a connection opened before the rules bypasses them until flushConntrack, then goes to NMI', async () => {
      const url = 'http://169.254.169.254/metadata/identity/oauth2/token';
      expect(serverOf(await session.request({ url }))).toBe('real-imds');

      await ensureRedirect({ runner: nodeRunner, targetPort: nmi.port });
      // The established flow keeps its conntrack entry (no NAT): this is the bypass the flag exists for.
      expect(serverOf(await session.request({ url }))).toBe('real-imds');
      expect(await metadataFlows()).toContain(`src=${topology.pods[0]!.ip} dst=169.254.169.254`);

      const flushed = await flushConntrack({ runner: nodeRunner });
      expect(flushed.deleted).toBeGreaterThanOrEqual(1);

      // The old socket's next packet is now DNAT'ed to NMI, which knows no such connection and resets it; the
      // client reconnects and from then on every request is answered by NMI.
      const after = [serverOf(await session.request({ url, timeoutMs: 1500 }))];
      after.push(serverOf(await session.request({ url, timeoutMs: 1500 })));
      expect(after).not.toContain('real-imds');
      expect(after[1]).toBe('nmi');

      // A connection the redirect already sent to NMI is not touched by a later flush: it keeps working.
      const flushedAgain = await flushConntrack({ runner: nodeRunner });
      expect(flushedAgain.deleted).toBe(0);
      expect(serverOf(await session.request({ url, timeoutMs: 1500 }))).toBe('nmi');

      // Nothing left to delete is not an error.
      await removeRedirect({ runner: nodeRunner });
      await session.close();
      expect(await flushConntrack({ runner: nodeRunner })).toEqual({ deleted: expect.any(Number) });
    });
  },
  { binaries: ['ip', 'iptables', 'conntrack'] },
);
