import { describe, expect, test } from '@jest/globals';
import { FakeClock, flushMicrotasks } from '../test-support/fake-clock.js';
import { type LeadershipEnd, LeaderElector } from './leader-elector.js';
import type { LeaderElectionRecord, LeaderLock, ObservedLease } from './lease-lock.js';

/** One shared lease, as the API server would keep it; `partitioned` cuts one client off. */
class MemoryLeaseStore {
  lease: ObservedLease | undefined;
  private version = 0;
  readonly partitioned = new Set<string>();

  lockFor(client: string): LeaderLock {
    const check = () => {
      if (this.partitioned.has(client)) throw Object.assign(new Error('connection refused'), { statusCode: undefined });
    };
    return {
      describe: () => 'default/test-lock',
      get: async () => {
        check();
        return this.lease && structuredClone(this.lease);
      },
      create: async (record: LeaderElectionRecord) => {
        check();
        if (this.lease) throw Object.assign(new Error('AlreadyExists'), { statusCode: 409 });
        this.lease = { record: { ...record }, resourceVersion: String(++this.version) };
        return structuredClone(this.lease);
      },
      update: async (record: LeaderElectionRecord, resourceVersion: string) => {
        check();
        if (!this.lease || this.lease.resourceVersion !== resourceVersion) {
          throw Object.assign(new Error('Conflict'), { statusCode: 409 });
        }
        this.lease = { record: { ...record }, resourceVersion: String(++this.version) };
        return structuredClone(this.lease);
      },
    };
  }
}

function candidate(store: MemoryLeaseStore, clock: FakeClock, identity: string) {
  const events: string[] = [];
  let leaderSignal: AbortSignal | undefined;
  const stop = new AbortController();
  const elector = new LeaderElector({
    lock: store.lockFor(identity),
    identity,
    leaseDurationMs: 2000,
    clock,
    random: () => 0.5,
    onStartedLeading: (signal) => {
      leaderSignal = signal;
      events.push('started');
    },
    onStoppedLeading: (reason) => events.push(`stopped:${reason}`),
    onNewLeader: (leader) => events.push(`leader:${leader}`),
  });
  let ended: LeadershipEnd | undefined;
  const running = elector.run(stop.signal).then((end) => {
    ended = end;
    return end;
  });
  return {
    elector,
    events,
    stop,
    running,
    get ended() {
      return ended;
    },
    get leaderSignal() {
      return leaderSignal;
    },
  };
}

describe('LeaderElector (in-memory lock, fake clock)', () => {
  test('the first candidate creates the lease and keeps renewing it', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushMicrotasks();
    expect(a.events).toEqual(['leader:a', 'started']);
    expect(a.elector.isLeader).toBe(true);
    expect(store.lease?.record).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 2, leaseTransitions: 0 });
    const firstRenew = store.lease?.record.renewTime ?? 0;
    await clock.advance(5000);
    expect(store.lease?.record.renewTime).toBeGreaterThan(firstRenew);
    expect(store.lease?.record.acquireTime).toBe(firstRenew);
    a.stop.abort();
    expect(await a.running).toBe('stopped');
  });

  test('exactly one of two candidates leads; the other takes over after the leader stops renewing', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushMicrotasks();
    const b = candidate(store, clock, 'b');
    await clock.advance(3000);
    expect(a.elector.isLeader).toBe(true);
    expect(b.elector.isLeader).toBe(false);
    expect(b.events).toEqual(['leader:a']);

    store.partitioned.add('a'); // a can no longer reach the API server
    await clock.advance(5000);
    expect(a.ended).toBe('lost');
    expect(a.leaderSignal?.aborted).toBe(true);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped:lost']);
    expect(b.elector.isLeader).toBe(true);
    expect(b.events).toEqual(['leader:a', 'leader:b', 'started']);
    expect(store.lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.stop.abort();
    await b.running;
  });

  test('the standby never takes a lease that is still being renewed', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushMicrotasks();
    const b = candidate(store, clock, 'b');
    for (let i = 0; i < 20; i++) {
      await clock.advance(700);
      expect([a.elector.isLeader, b.elector.isLeader]).toEqual([true, false]);
    }
    a.stop.abort();
    b.stop.abort();
    await Promise.all([a.running, b.running]);
  });

  test('a deliberate stop releases the lease so the standby takes over without waiting for expiry', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushMicrotasks();
    const b = candidate(store, clock, 'b');
    await flushMicrotasks();
    a.stop.abort();
    expect(await a.running).toBe('stopped');
    expect(a.events.at(-1)).toBe('stopped:stopped');
    expect(store.lease?.record.holderIdentity).toBe('');
    await clock.advance(1100); // one jittered retry period, far below the 2 s lease
    expect(b.elector.isLeader).toBe(true);
    b.stop.abort();
    await b.running;
  });

  test('a lease taken over by someone else ends leadership at the next renewal', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushMicrotasks();
    const current = store.lease!;
    store.lease = {
      record: { ...current.record, holderIdentity: 'intruder', renewTime: clock.now() },
      resourceVersion: `${current.resourceVersion}-x`,
    };
    await clock.advance(600);
    expect(a.ended).toBe('lost');
  });

  test('rejects settings client-go would reject', () => {
    const store = new MemoryLeaseStore();
    const base = { lock: store.lockFor('x'), identity: 'x', onStartedLeading: () => {} };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 })).toThrow(
      expect.objectContaining({ code: 'LEADER_ELECTION_INVALID_CONFIG' }),
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 1000, retryPeriodMs: 1000 })).toThrow(
      expect.objectContaining({ code: 'LEADER_ELECTION_INVALID_CONFIG' }),
    );
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(
      expect.objectContaining({ code: 'LEADER_ELECTION_INVALID_CONFIG' }),
    );
  });
});
