import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { type NmiProcessIo, runNmi, TERMINATION_MESSAGE } from './run-nmi.js';
import { type EmulatedCluster, NODE_NAME, startEmulatedCluster } from './test-support/emulated-cluster.js';
import { FakeNetfilter, JsonLogCapture, ManualTimer, memorySysctl } from './test-support/fake-node.js';
import { eventually } from './test-support/http-get.js';

let cluster: EmulatedCluster;

beforeAll(async () => {
  cluster = await startEmulatedCluster();
}, 30_000);
afterEach(() => {
  cluster.kube.admin.clearFaults();
});
afterAll(async () => {
  await cluster?.close();
});

/** runNmi in this process, with an in-memory netfilter, a hand-driven resync timer and fake signals. */
function startInProcess(extraArgs: readonly string[] = [], exit?: (code: number) => never) {
  const netfilter = new FakeNetfilter();
  const timer = new ManualTimer();
  const signals = new EventEmitter();
  const logs = new JsonLogCapture();
  const io: NmiProcessIo = {
    argv: [
      `--node=${NODE_NAME}`,
      '--nmi-port=0',
      '--http-probe-port=0',
      '--prometheus-port=0',
      '--manage-iptables=true',
      `--imds-endpoint=${cluster.imdsUrl}`,
      `--kubeconfig=${cluster.kube.kubeconfigPath}`,
      `--kubelet-config=${cluster.kubeletConfigPath}`,
      '--termination-wait=0s',
      '--log-format=json',
      ...extraArgs,
    ],
    env: {},
    stdout: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    stderr: logs.stream,
    signals: signals as unknown as NmiProcessIo['signals'],
    ...(exit ? { exit } : {}),
    platform: {
      runner: netfilter,
      redirectTimer: timer,
      sysctl: memorySysctl({ 'net/ipv4/conf/all/route_localnet': '1' }),
    },
  };
  const exitCode = runNmi(io);
  const logged = (message: string) =>
    eventually(async () => (logs.messages().includes(message) ? true : undefined), `log line "${message}"`);
  return { netfilter, timer, signals, logs, exitCode, logged };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('runNmi in-process: iptables lifecycle and signals', () => {
  test('Active only after the redirect to the real listening port exists; SIGTERM removes it, exit 0', async () => {
    const nmi = startInProcess(['--on-exit=remove']);
    await nmi.logged('NMI is active');
    const listening = nmi.logs.records.find((record) => record['msg'] === 'token server listening');
    expect(nmi.netfilter.chain?.[1]).toContain(`--to-destination 127.0.0.1:${String(listening?.['port'])}`);
    expect(nmi.netfilter.jump).toBe(true);
    const messages = nmi.logs.messages();
    expect(messages.indexOf('installed iptables redirect')).toBeLessThan(messages.indexOf('NMI is active'));

    nmi.signals.emit('SIGTERM');
    await expect(nmi.exitCode).resolves.toBe(0);
    expect(nmi.netfilter.chain).toBeUndefined();
    expect(nmi.netfilter.jump).toBe(false);
    const after = nmi.logs.messages();
    expect(after.indexOf('removed iptables redirect')).toBeLessThan(after.indexOf(TERMINATION_MESSAGE));
    expect(nmi.signals.listenerCount('SIGTERM')).toBe(0);
  });

  test('default --on-exit=reject: SIGTERM leaves the reject rule, /healthz turns Not Active, the metric says reject', async () => {
    const nmi = startInProcess(['--termination-wait=1h']);
    await nmi.logged('NMI is active');
    const servers = nmi.logs.records.find((record) => record['msg'] === 'probe and metrics servers listening');
    const probeUrl = `http://127.0.0.1:${String(servers?.['probePort'])}/healthz`;
    const metricsUrl = `http://127.0.0.1:${String(servers?.['metricsPort'])}/metrics`;
    expect(await (await fetch(probeUrl)).text()).toBe('Active');
    expect(await (await fetch(metricsUrl)).text()).toContain('podid_nmi_redirect_mode{mode="redirect"} 1');

    nmi.signals.emit('SIGTERM');
    await nmi.logged(TERMINATION_MESSAGE);
    expect(nmi.netfilter.reject).toBe(true);
    expect(nmi.netfilter.chain).toBeUndefined();
    expect(await (await fetch(probeUrl)).text()).toBe('Not Active');
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toContain('podid_nmi_redirect_mode{mode="reject"} 1');
    expect(metrics).toContain('podid_nmi_redirect_mode{mode="redirect"} 0');
    const messages = nmi.logs.messages();
    expect(messages.indexOf('replaced iptables redirect with reject rule (--on-exit=reject)')).toBeLessThan(
      messages.indexOf(TERMINATION_MESSAGE),
    );
    nmi.signals.emit('SIGINT');
    await expect(nmi.exitCode).resolves.toBe(0);
  });

  test('a start after a reject replaces it with the redirect, and only then is NMI Active', async () => {
    const first = startInProcess();
    await first.logged('NMI is active');
    first.signals.emit('SIGTERM');
    await expect(first.exitCode).resolves.toBe(0);
    const second = startInProcess();
    second.netfilter.reject = true;
    await second.logged('NMI is active');
    expect(second.netfilter.reject).toBe(false);
    expect(second.netfilter.jump).toBe(true);
    const installed = second.logs.records.find((record) => record['msg'] === 'installed iptables redirect');
    expect(installed?.['repairs']).toEqual(['chain_created', 'jump_inserted', 'reject_replaced']);
    second.signals.emit('SIGTERM');
    await expect(second.exitCode).resolves.toBe(0);
  });

  test('a failed resync does not stop NMI: logged, the redirect stays, /healthz stays Active', async () => {
    const nmi = startInProcess();
    await nmi.logged('NMI is active');
    nmi.netfilter.failing = /^iptables/;
    nmi.timer.ticks[0]?.();
    await nmi.logged('failed to sync iptables; retrying next interval');
    expect(nmi.netfilter.chain).toBeDefined();
    const servers = nmi.logs.records.find((record) => record['msg'] === 'probe and metrics servers listening');
    const probe = await fetch(`http://127.0.0.1:${String(servers?.['probePort'])}/healthz`);
    expect(await probe.text()).toBe('Active');
    nmi.netfilter.failing = undefined;
    nmi.signals.emit('SIGTERM');
    await expect(nmi.exitCode).resolves.toBe(0);
  });

  test('a redirect that cannot be removed on SIGTERM makes the exit code 1', async () => {
    const nmi = startInProcess();
    await nmi.logged('NMI is active');
    nmi.netfilter.failing = /PREROUTING/;
    nmi.signals.emit('SIGTERM');
    await expect(nmi.exitCode).resolves.toBe(1);
    expect(nmi.logs.messages()).toContain(TERMINATION_MESSAGE);
  });

  test('a first start-up failure of iptables is fatal with a clear line, exit 1', async () => {
    const netfilterFailing = startInProcess();
    netfilterFailing.netfilter.failing = /^iptables-restore/;
    await expect(netfilterFailing.exitCode).resolves.toBe(1);
    expect(netfilterFailing.logs.records.find((record) => record['level'] === 60)).toMatchObject({
      code: 'iptables_failed',
      msg: expect.stringMatching(/^failed to set up iptables: /),
    });
  });

  test('SIGTERM while the caches are still syncing stops cleanly, exit 0, no iptables touched', async () => {
    cluster.kube.admin.failNextRequests({ count: 100_000, status: 500, verb: 'list', resource: 'pods' });
    const nmi = startInProcess();
    await nmi.logged('probe and metrics servers listening');
    await settle();
    nmi.signals.emit('SIGTERM');
    await expect(nmi.exitCode).resolves.toBe(0);
    expect(nmi.logs.messages()).toContain('shut down during start-up');
    expect(nmi.netfilter.commands).toEqual([]);
  });

  test('a second signal cuts the termination wait short', async () => {
    const nmi = startInProcess(['--termination-wait=1h']);
    await nmi.logged('NMI is active');
    nmi.signals.emit('SIGTERM');
    await nmi.logged(TERMINATION_MESSAGE);
    nmi.signals.emit('SIGINT');
    await expect(nmi.exitCode).resolves.toBe(0);
  });
});

describe('runNmi: the process-level last resort', () => {
  test('an error raised in request handling is logged and NMI keeps serving; any other uncaught error exits 1', async () => {
    const exits: number[] = [];
    const nmi = startInProcess([], ((code: number) => {
      exits.push(code);
    }) as (code: number) => never);
    await nmi.logged('NMI is active');
    const { runInRequestScope } = await import('@podid/imds-proxy/request-scope');
    runInRequestScope(() => {
      nmi.signals.emit('uncaughtException', new Error('stream error nobody listened to'));
    });
    await nmi.logged('error raised while handling a request; NMI keeps serving');
    expect(exits).toEqual([]);
    const healthy = await fetch(`http://127.0.0.1:${listeningPort(nmi.logs)}/metadata/instance`, {
      headers: { Metadata: 'true' },
    });
    expect(healthy.status).toBeLessThan(500);

    nmi.signals.emit('uncaughtException', new Error('a fault in the agent itself'));
    await nmi.logged('uncaught error, exiting');
    expect(exits).toEqual([1]);
    nmi.signals.emit('SIGTERM');
    await expect(nmi.exitCode).resolves.toBe(0);
    expect(nmi.signals.listenerCount('uncaughtException')).toBe(0);
  });
});

function listeningPort(logs: JsonLogCapture): number {
  const listening = logs.records.find((record) => record['msg'] === 'token server listening');
  return Number(listening?.['port']);
}
