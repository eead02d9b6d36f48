import { afterEach, describe, expect, test } from '@jest/globals';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';
import { FairUpstreamLimiter } from './fair-upstream-limiter.js';

/** A task the test finishes by hand, recording when it started. */
function controllable(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    task: async () => {
      log.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Time that moves only when the test says, with the timers it fires. */
function manualTimer() {
  let now = 0;
  const pending: { at: number; wake: () => void }[] = [];
  return {
    now: () => now,
    schedule: (wake: () => void, ms: number) => {
      pending.push({ at: now + ms, wake });
    },
    advance(ms: number) {
      now += ms;
      for (const entry of pending.splice(0)) {
        if (entry.at <= now) entry.wake();
        else pending.push(entry);
      }
    },
  };
}

describe('FairUpstreamLimiter', () => {
  test('starts at most maxPerSecond calls a second after the burst (IMDS allows 20 per VM)', async () => {
    const timer = manualTimer();
    const limiter = new FairUpstreamLimiter({ maxConcurrent: 100, maxConcurrentPerCaller: 100, timer });
    const started: string[] = [];
    const calls = Array.from({ length: 30 }, (_, i) => controllable(started, `call${i}`));
    const results = calls.map((c, i) => limiter.run(`10.0.0.${i}`, c.task));
    await tick();
    expect(started).toHaveLength(20);
    expect(limiter.waiting).toBe(10);
    timer.advance(50); // one start per 50 ms at 20 per second
    await tick();
    expect(started).toHaveLength(21);
    timer.advance(100);
    await tick();
    expect(started).toHaveLength(23);
    for (let i = 0; i < 10; i++) {
      timer.advance(50);
      await tick();
    }
    expect(started).toHaveLength(30);
    for (const c of calls) c.finish();
    await Promise.all(results);
  });

  test('the rate bound keeps the round-robin: a quiet pod is not stuck behind a noisy one', async () => {
    const timer = manualTimer();
    const limiter = new FairUpstreamLimiter({ maxConcurrent: 10, maxConcurrentPerCaller: 10, maxPerSecond: 1, timer });
    const started: string[] = [];
    const noisy = Array.from({ length: 5 }, (_, i) => controllable(started, `noisy${i}`));
    const results = noisy.map((c) => limiter.run('10.0.0.1', c.task));
    const quiet = controllable(started, 'quiet0');
    results.push(limiter.run('10.0.0.2', quiet.task));
    await tick();
    expect(started).toEqual(['noisy0']);
    timer.advance(1000);
    await tick();
    timer.advance(1000);
    await tick();
    // Turns alternate: the quiet pod's one call comes before the noisy pod's remaining three.
    expect(started).toEqual(['noisy0', 'noisy1', 'quiet0']);
    for (let i = 0; i < 3; i++) {
      timer.advance(1000);
      await tick();
    }
    expect(started).toHaveLength(6);
    for (const c of [...noisy, quiet]) c.finish();
    await Promise.all(results);
  });

  test('maxPerSecond 0 removes the rate bound', async () => {
    const limiter = new FairUpstreamLimiter({ maxConcurrent: 100, maxConcurrentPerCaller: 100, maxPerSecond: 0 });
    const started: string[] = [];
    const calls = Array.from({ length: 50 }, (_, i) => controllable(started, `call${i}`));
    const results = calls.map((c, i) => limiter.run(`10.0.0.${i}`, c.task));
    await tick();
    expect(started).toHaveLength(50);
    for (const c of calls) c.finish();
    await Promise.all(results);
  });

  test('bounds concurrency overall and per caller, and serves waiting callers round-robin', async () => {
    const limiter = new FairUpstreamLimiter({ maxConcurrent: 2, maxConcurrentPerCaller: 1 });
    const started: string[] = [];
    const noisy = Array.from({ length: 5 }, (_, i) => controllable(started, `noisy${i}`));
    const quiet = [controllable(started, 'quiet0'), controllable(started, 'quiet1')];
    const results = [
      ...noisy.map((c) => limiter.run('10.0.0.1', c.task)),
      ...quiet.map((c) => limiter.run('10.0.0.2', c.task)),
    ];
    await tick();
    // One per caller even though the noisy pod queued first and there are 2 slots.
    expect(started).toEqual(['noisy0', 'quiet0']);
    expect(limiter.inFlight).toBe(2);
    noisy[0]?.finish();
    await tick();
    await tick();
    expect(started).toEqual(['noisy0', 'quiet0', 'noisy1']);
    quiet[0]?.finish();
    await tick();
    await tick();
    // The quiet pod's second call is not stuck behind the noisy pod's remaining three.
    expect(started).toEqual(['noisy0', 'quiet0', 'noisy1', 'quiet1']);
    for (const c of [...noisy, ...quiet]) c.finish();
    for (let i = 0; i < 10; i++) await tick();
    for (const c of noisy) c.finish();
    await Promise.all(results);
    expect(started).toHaveLength(7);
    expect(limiter.inFlight).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  test('a full queue refuses with code upstream-queue-full; an aborted waiter leaves the queue', async () => {
    const limiter = new FairUpstreamLimiter({ maxConcurrent: 1, maxConcurrentPerCaller: 1, maxQueuedPerCaller: 2 });
    const started: string[] = [];
    const blocker = controllable(started, 'blocker');
    const running = limiter.run('a', blocker.task);
    const controller = new AbortController();
    const waiting = limiter.run('a', async () => 'second', controller.signal);
    const third = limiter.run('a', async () => 'third');
    await expect(limiter.run('a', async () => 'fourth')).rejects.toMatchObject({ code: 'upstream-queue-full' });
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(limiter.waiting).toBe(1);
    blocker.finish();
    await expect(running).resolves.toBe('blocker');
    await expect(third).resolves.toBe('third');
  });

  test('a task that throws synchronously releases its slot', async () => {
    const limiter = new FairUpstreamLimiter({ maxConcurrent: 1 });
    await expect(
      limiter.run('a', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(limiter.run('a', async () => 'next')).resolves.toBe('next');
  });
});

describe('fairness in the server', () => {
  let harness: NmiHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  test('queue full → 429 with Retry-After; other pods still get their own slot', async () => {
    const h = await startNmiHarness({
      tokenCache: false,
      upstreamConcurrency: { maxConcurrent: 2, maxConcurrentPerCaller: 1, maxQueuedPerCaller: 1 },
    });
    harness = h;
    const clients = ['aaaaaaaa-0000-0000-0000-000000000001', 'bbbbbbbb-0000-0000-0000-000000000002'];
    ['127.0.0.2', '127.0.0.3'].forEach((ip, index) => {
      const p = h.cluster.addPod(pod(`p${index}`, 'demo', ip));
      h.cluster.assign(p, msiIdentity(`id${index}`, 'demo', clients[index] ?? ''));
      h.imds.assigned.add(clients[index] ?? '');
    });
    h.imds.hold();
    const noisy = [
      h.get('127.0.0.2', '/metadata/identity/oauth2/token?resource=r1'),
      h.get('127.0.0.2', '/metadata/identity/oauth2/token?resource=r2'),
    ];
    while (h.nmi.limiter.waiting < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const refused = await h.get('127.0.0.2', '/metadata/identity/oauth2/token?resource=r3');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    const quiet = h.get('127.0.0.3', '/metadata/identity/oauth2/token?resource=r1');
    while (h.imds.tokenCalls().length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    // IMDS has the noisy pod's first call and the quiet pod's call; the noisy pod's second is still queued.
    expect(
      h.imds
        .tokenCalls()
        .map((call) => call.clientId)
        .sort(),
    ).toEqual(clients);
    h.imds.release();
    while (h.imds.tokenCalls().length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    h.imds.release();
    const answers = await Promise.all([...noisy, quiet]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
  });
});
