import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeEmulator } from '@podid/kube-emulator';
import type { KubeConnection } from '../connection/kube-connection.js';
import { connectTo, eventually, rawRequest, startEmulatorWithCrds } from '../test-support/emulator-harness.js';
import { type LeadershipEnd, LeaderElector } from './leader-elector.js';
import { LeaseLock } from './lease-lock.js';

let emulator: KubeEmulator;
let connection: KubeConnection;

beforeAll(async () => {
  emulator = await startEmulatorWithCrds(['election']);
  connection = connectTo(emulator);
});
afterAll(async () => {
  await emulator.close();
});

function startCandidate(identity: string, options: { releaseOnStop?: boolean } = {}) {
  const stop = new AbortController();
  const started: string[] = [];
  const leaders: string[] = [];
  const elector = new LeaderElector({
    lock: new LeaseLock(connection, 'election', 'podid-mic'),
    identity,
    leaseDurationMs: 2000,
    releaseOnStop: options.releaseOnStop ?? true,
    onStartedLeading: () => started.push(identity),
    onNewLeader: (leader) => leaders.push(leader),
  });
  const done: Promise<LeadershipEnd> = elector.run(stop.signal);
  return { elector, stop, started, leaders, done };
}

describe('Lease leader election against kube-emulator', () => {
  test('exactly one of two candidates leads; the other takes over when the leader stops renewing', async () => {
    const a = startCandidate('mic-a_1', { releaseOnStop: false });
    await eventually(() => a.elector.isLeader, 'a to lead');
    const b = startCandidate('mic-b_2');
    await eventually(() => b.leaders.includes('mic-a_1'), 'b to observe a as leader');
    // Longer than a whole lease: a keeps renewing, so b must still be waiting.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect([a.elector.isLeader, b.elector.isLeader]).toEqual([true, false]);

    // The server accepted MicroTime timestamps: exactly six fractional digits on the wire.
    const lease = (await rawRequest(
      emulator,
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/election/leases/podid-mic',
    )) as {
      spec: { holderIdentity: string; renewTime: string; acquireTime: string; leaseDurationSeconds: number };
    };
    expect(lease.spec).toMatchObject({ holderIdentity: 'mic-a_1', leaseDurationSeconds: 2 });
    expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);

    // a stops renewing without handing over (as a crashed or partitioned leader would).
    a.stop.abort();
    expect(await a.done).toBe('stopped');
    await eventually(() => b.elector.isLeader, 'b to take over after the lease expires');
    expect(b.started).toEqual(['mic-b_2']);
    expect(a.elector.isLeader).toBe(false);
    const after = (await rawRequest(
      emulator,
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/election/leases/podid-mic',
    )) as {
      spec: { holderIdentity: string; leaseTransitions: number };
    };
    expect(after.spec).toMatchObject({ holderIdentity: 'mic-b_2', leaseTransitions: 1 });

    // A deliberate stop with release empties the holder so the next candidate need not wait.
    b.stop.abort();
    expect(await b.done).toBe('stopped');
    const released = (await rawRequest(
      emulator,
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/election/leases/podid-mic',
    )) as {
      spec: { holderIdentity?: string };
    };
    expect(released.spec.holderIdentity ?? '').toBe('');
  });

  test('a leader cut off from the API server reports the lease as lost', async () => {
    const a = startCandidate('mic-c_3');
    await eventually(() => a.elector.isLeader, 'c to lead');
    emulator.admin.failNextRequests({ count: 1000, status: 500, resource: 'leases' });
    expect(await a.done).toBe('lost');
    expect(a.elector.isLeader).toBe(false);
    emulator.admin.clearFaults();
  });
});
