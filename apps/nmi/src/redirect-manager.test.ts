import { describe, expect, test } from '@jest/globals';
import { createLogger } from '@podid/observability';
import { createRedirectManager, type RedirectManagerOptions } from './redirect-manager.js';
import { FakeNetfilter, JsonLogCapture, ManualTimer, memorySysctl } from './test-support/fake-node.js';

function setup(overrides: Partial<RedirectManagerOptions> = {}) {
  const netfilter = new FakeNetfilter();
  const timer = new ManualTimer();
  const capture = new JsonLogCapture();
  const logs = {
    lines: capture.records,
    logger: createLogger({ component: 'NMI', format: 'json', destination: capture.stream }),
  };
  const sysctl = memorySysctl({ 'net/ipv4/conf/all/route_localnet': '1' });
  const manager = createRedirectManager({
    runner: netfilter,
    metadata: { ip: '169.254.169.254', port: 80 },
    target: { ip: '127.0.0.1', port: 31337 },
    updateIntervalMs: 60_000,
    conntrackDeletion: false,
    setRouteLocalnet: false,
    logger: logs.logger,
    timer,
    sysctl,
    ...overrides,
  });
  return { netfilter, timer, logs, manager, sysctl };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createRedirectManager', () => {
  test('start installs the chain with the port NMI really listens on and the jump, then resyncs on the interval', async () => {
    const { netfilter, timer, manager } = setup();
    await manager.start();
    expect(netfilter.chain).toEqual([
      '-N aad-metadata',
      '-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:31337',
      '-A aad-metadata -j RETURN',
    ]);
    expect(netfilter.jump).toBe(true);
    expect(timer.intervals).toEqual([60_000]);
    expect(netfilter.commands.some((command) => command.startsWith('conntrack'))).toBe(false);
  });

  test('a resync repairs a deleted jump and logs upstream’s line', async () => {
    const { netfilter, timer, manager, logs } = setup();
    await manager.start();
    netfilter.jump = false;
    timer.ticks[0]?.();
    await settle();
    await settle();
    expect(netfilter.jump).toBe(true);
    expect(logs.lines.some((line) => line['msg'] === 'flushing iptables to add aad-metadata custom chains')).toBe(true);
  });

  test('with --enable-conntrack-deletion the flush runs once, after the first rule install', async () => {
    const { netfilter, manager } = setup({ conntrackDeletion: true });
    await manager.start();
    const conntrackAt = netfilter.commands.findIndex((command) => command.startsWith('conntrack'));
    const jumpAt = netfilter.commands.findIndex((command) => command.includes('-I PREROUTING 1'));
    expect(conntrackAt).toBeGreaterThan(jumpAt);
    expect(netfilter.commands[conntrackAt]).toBe(
      'conntrack -D -f ipv4 -p tcp -d 169.254.169.254 --dport 80 --reply-src 169.254.169.254 --reply-port-src 80',
    );
    expect(netfilter.commands.filter((command) => command.startsWith('conntrack'))).toHaveLength(1);
  });

  test('a failing conntrack flush fails start (fatal, as upstream)', async () => {
    const { netfilter, manager, timer } = setup({ conntrackDeletion: true });
    netfilter.failing = /^conntrack/;
    await expect(manager.start()).rejects.toThrow(/simulated failure|conntrack/);
    expect(timer.ticks).toHaveLength(0);
  });

  test('a failing resync is logged as an error and the next tick repairs (no exit, rules left as they were)', async () => {
    const { netfilter, timer, manager, logs } = setup();
    await manager.start();
    netfilter.failing = /^iptables/;
    timer.ticks[0]?.();
    await settle();
    await settle();
    expect(logs.lines.find((line) => line['msg'] === 'failed to sync iptables; retrying next interval')).toMatchObject({
      level: 50,
    });
    expect(netfilter.chain).toBeDefined();
    netfilter.failing = undefined;
    netfilter.jump = false;
    timer.ticks[0]?.();
    await settle();
    await settle();
    expect(netfilter.jump).toBe(true);
  });

  test('stop(remove) stops the loop and deletes jump and chain (upstream)', async () => {
    const { netfilter, timer, manager } = setup();
    await manager.start();
    expect(manager.mode()).toBe('redirect');
    await expect(manager.stop('remove')).resolves.toEqual({
      mode: 'remove',
      removed: { jumpsRemoved: 1, chainRemoved: true },
    });
    expect(netfilter.chain).toBeUndefined();
    expect(netfilter.jump).toBe(false);
    expect(timer.ticks).toHaveLength(0);
    expect(manager.mode()).toBe('none');
  });

  test('stop(reject) swaps the DNAT for the reject rule in one restore', async () => {
    const { netfilter, timer, manager } = setup();
    await manager.start();
    const restoresBefore = netfilter.commands.filter((line) => line.startsWith('iptables-restore')).length;
    await expect(manager.stop('reject')).resolves.toEqual({ mode: 'reject', redirectRemoved: true });
    expect(netfilter.commands.filter((line) => line.startsWith('iptables-restore'))).toHaveLength(restoresBefore + 1);
    expect(netfilter.chain).toBeUndefined();
    expect(netfilter.jump).toBe(false);
    expect(netfilter.reject).toBe(true);
    expect(timer.ticks).toHaveLength(0);
    expect(manager.mode()).toBe('reject');
  });

  test('stop(keep) only stops the loop', async () => {
    const { netfilter, timer, manager } = setup();
    await manager.start();
    await expect(manager.stop('keep')).resolves.toEqual({ mode: 'keep' });
    expect(netfilter.chain).toBeDefined();
    expect(netfilter.jump).toBe(true);
    expect(netfilter.reject).toBe(false);
    expect(timer.ticks).toHaveLength(0);
  });

  test('route_localnet: warns when off, enables it with --set-route-localnet', async () => {
    const off = setup();
    off.sysctl.values['net/ipv4/conf/all/route_localnet'] = '0';
    await off.manager.start();
    expect(off.logs.lines.find((line) => line['msg'] === 'redirect target needs route_localnet')).toMatchObject({
      problem: expect.stringContaining('sysctl -w net.ipv4.conf.all.route_localnet=1'),
    });

    const enabling = setup({ setRouteLocalnet: true });
    enabling.sysctl.values['net/ipv4/conf/all/route_localnet'] = '0';
    await enabling.manager.start();
    expect(enabling.sysctl.values['net/ipv4/conf/all/route_localnet']).toBe('1');
  });
});
