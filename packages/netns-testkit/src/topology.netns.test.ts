import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { cleanupEverythingSync } from './cleanup-registry.js';
import { type EchoReply, httpRequestFromNamespace, openHttpSession, startEchoServer } from './http-in-namespace.js';
import { describeIfNetns } from './netns-support.js';
import { runCommand } from './run-command.js';
import { createTopology, sweepStaleNamespaces, type Topology } from './topology.js';

const namespaces = async () =>
  (await runCommand('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');

describeIfNetns('netns topology', () => {
  let topology: Topology;

  beforeAll(async () => {
    topology = await createTopology({ pods: 2 });
  });

  afterAll(async () => {
    await topology?.destroy();
  });

  test('builds a node and two pods with unique names, addresses and default routes', async () => {
    const [pod0, pod1] = topology.pods;
    expect(topology.node.ns).toMatch(new RegExp(`^ptk-${process.pid}-[0-9a-f]{6}-node$`));
    expect(pod0).toMatchObject({
      ip: '10.244.0.2',
      gatewayIp: '10.244.0.1',
      podInterface: 'eth0',
      nodeInterface: 'vn0',
    });
    expect(pod1).toMatchObject({ ip: '10.244.1.2', gatewayIp: '10.244.1.1', nodeInterface: 'vn1' });
    expect(await namespaces()).toEqual(expect.arrayContaining([topology.node.ns, pod0!.ns, pod1!.ns]));
    const routes = await topology.exec(pod0!.ns, 'ip', ['route', 'show', 'default']);
    expect(routes.stdout).toContain('default via 10.244.0.1 dev eth0');
    // Nothing was created in the root namespace.
    expect((await runCommand('ip', ['-o', 'link', 'show'])).stdout).not.toMatch(/\bv[np]\d+[@:]/);
  });

  test('a pod reaches a server in another pod through the node, which sees the caller pod address', async () => {
    const server = await startEchoServer(topology.pods[1]!.ns, { host: '0.0.0.0', name: 'pod1' });
    try {
      const result = await httpRequestFromNamespace(topology.pods[0]!.ns, {
        url: `http://${topology.pods[1]!.ip}:${server.port}/hello`,
        headers: { metadata: 'true' },
      });
      if (!result.ok) throw new Error(result.message);
      expect(result.json).toMatchObject({ server: 'pod1', remoteAddress: '10.244.0.2', url: '/hello' });
      expect((result.json as EchoReply).headers['metadata']).toBe('true');
    } finally {
      await server.close();
    }
  });

  test('an HTTP session keeps one connection across requests; failures come back as error codes', async () => {
    const server = await startEchoServer(topology.node.ns, { host: '10.244.0.1', name: 'node' });
    const session = await openHttpSession(topology.pods[0]!.ns);
    try {
      const url = `http://10.244.0.1:${server.port}/`;
      const first = await session.request({ url });
      const second = await session.request({ url });
      if (!first.ok || !second.ok) throw new Error('request failed');
      expect((second.json as EchoReply).remotePort).toBe((first.json as EchoReply).remotePort);
      const refused = await session.request({ url: 'http://10.244.0.1:9/' });
      expect(refused).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
    } finally {
      await session.close();
      await server.close();
    }
  });

  test('spawnNode waits for a ready line, sees later lines and is killed', async () => {
    const child = await topology.spawnNode(topology.node.ns, {
      code: "console.log('READY ' + process.argv[1]); process.stdin.on('data', (d) => console.log('GOT ' + d.toString().trim()));",
      args: ['abc'],
      readyPattern: /^READY (\w+)$/,
    });
    expect(child.ready?.[1]).toBe('abc');
    child.writeLine('ping');
    expect((await child.waitForLine(/^GOT (\w+)$/))[1]).toBe('ping');
    await child.kill();
    expect(child.child.exitCode !== null || child.child.signalCode !== null).toBe(true);
  });

  test('spawnNode rejects with stderr when the process dies before it is ready', async () => {
    await expect(
      topology.spawnNode(topology.node.ns, { code: "console.error('boom'); process.exit(3)", readyPattern: /^READY$/ }),
    ).rejects.toThrow(/exited \(3\).*boom/);
  });
});

describeIfNetns('netns cleanup', () => {
  test('destroy() removes every namespace of the topology', async () => {
    const topology = await createTopology({ pods: 1, prefix: 'ptkd' });
    const created = [topology.node.ns, topology.pods[0]!.ns];
    await topology.destroy();
    expect(await namespaces()).not.toEqual(expect.arrayContaining([created[0]]));
    expect((await namespaces()).filter((ns) => created.includes(ns))).toEqual([]);
  });

  test('the exit/signal cleanup removes namespaces a test forgot', async () => {
    const topology = await createTopology({ pods: 1, prefix: 'ptkx' });
    cleanupEverythingSync();
    expect((await namespaces()).filter((ns) => ns.startsWith(`ptkx-${process.pid}-`))).toEqual([]);
    await topology.destroy(); // still safe afterwards
  });

  test('sweeps namespaces left by a dead process, keeps those of live ones', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const stale = `ptks-${dead}-abcdef-node`;
    const live = `ptks-${process.pid}-abcdef-node`;
    await runCommand('ip', ['netns', 'add', stale]);
    await runCommand('ip', ['netns', 'add', live]);
    try {
      expect(await sweepStaleNamespaces('ptks')).toEqual([stale]);
      const left = await namespaces();
      expect(left).toContain(live);
      expect(left).not.toContain(stale);
    } finally {
      await runCommand('ip', ['netns', 'del', live]);
      await runCommand('ip', ['netns', 'del', stale]);
    }
  });
});
