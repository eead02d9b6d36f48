import { describe, expect, test } from '@jest/globals';
import { CycleScheduler, type SchedulerTimers } from './cycle-scheduler.js';

/** Timers on a clock that moves only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { due: number; callback: () => void }>();
  let next = 0;
  let now = 0;
  const timers: SchedulerTimers = {
    setTimeout: (callback, ms) => {
      pending.set(++next, { due: now + ms, callback });
      return next;
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number);
    },
  };
  const dueFirst = () => [...pending.entries()].sort((a, b) => a[1].due - b[1].due)[0];
  return {
    timers,
    now: () => now,
    get armed() {
      return pending.size;
    },
    /** Moves the clock to each armed timer's due time in turn and fires it (timers armed meanwhile wait). */
    fireAll() {
      const firing = [...pending.entries()].sort((a, b) => a[1].due - b[1].due);
      for (const [handle, timer] of firing) {
        if (!pending.delete(handle)) continue;
        now = Math.max(now, timer.due);
        timer.callback();
      }
    },
    /** Moves the clock by `ms`, firing every timer that comes due on the way, in order. */
    advance(ms: number) {
      const until = now + ms;
      for (let first = dueFirst(); first !== undefined && first[1].due <= until; first = dueFirst()) {
        pending.delete(first[0]);
        now = first[1].due;
        first[1].callback();
      }
      now = until;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CycleScheduler', () => {
  test('a burst of 500 events becomes one cycle (no cycle per event, Q14)', async () => {
    const clock = manualTimers();
    const cycles: string[][] = [];
    const scheduler = new CycleScheduler({
      debounceMs: 100,
      timers: clock.timers,
      now: clock.now,
      runCycle: async (reasons) => {
        cycles.push([...reasons]);
      },
    });
    for (let i = 0; i < 500; i++) scheduler.signal(i % 2 ? 'pod' : 'binding');
    expect(clock.armed).toBe(1);
    clock.fireAll();
    await scheduler.idle();
    expect(cycles).toEqual([['binding', 'pod']]);
  });

  test('events during a cycle produce exactly one follow-up, never two cycles at once', async () => {
    const clock = manualTimers();
    let inFlight = 0;
    let maxInFlight = 0;
    let release: () => void = () => {};
    const cycles: string[][] = [];
    const scheduler = new CycleScheduler({
      debounceMs: 10,
      timers: clock.timers,
      now: clock.now,
      runCycle: async (reasons) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        cycles.push([...reasons]);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        inFlight--;
      },
    });
    scheduler.signal('a');
    clock.fireAll();
    await tick();
    for (let i = 0; i < 50; i++) scheduler.signal('b');
    expect(clock.armed).toBe(0); // nothing armed while the cycle runs
    release();
    await tick();
    expect(clock.armed).toBe(1);
    clock.fireAll();
    await tick();
    release();
    await scheduler.idle();
    expect(cycles).toEqual([['a'], ['b']]);
    expect(maxInFlight).toBe(1);
    expect(scheduler.cycleCount).toBe(2);
  });

  test('a failing cycle is reported and scheduling goes on', async () => {
    const clock = manualTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = new CycleScheduler({
      debounceMs: 10,
      timers: clock.timers,
      now: clock.now,
      onCycleError: (error) => errors.push(error),
      runCycle: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
    });
    scheduler.signal('x');
    clock.fireAll();
    await scheduler.idle();
    scheduler.signal('y');
    clock.fireAll();
    await scheduler.idle();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });

  test('stop() cancels a pending cycle and waits for the running one', async () => {
    const clock = manualTimers();
    let calls = 0;
    const scheduler = new CycleScheduler({
      debounceMs: 10,
      timers: clock.timers,
      now: clock.now,
      runCycle: async () => {
        calls++;
      },
    });
    scheduler.signal('x');
    await scheduler.stop();
    clock.fireAll();
    scheduler.signal('y');
    await tick();
    expect(calls).toBe(0);
    expect(clock.armed).toBe(0);
  });

  test('the window stays open while the signals keep coming, and closes after a quiet period', async () => {
    const clock = manualTimers();
    const cycles: Array<{ at: number; reasons: string[] }> = [];
    const scheduler = new CycleScheduler({
      debounceMs: 100,
      timers: clock.timers,
      now: clock.now,
      runCycle: async (reasons) => {
        cycles.push({ at: clock.now(), reasons: [...reasons] });
      },
    });
    // A churn that arrives over 450 ms, one event every 50 ms: the window must not close in the middle of it.
    for (let t = 0; t <= 450; t += 50) {
      scheduler.signal(`event-${t}`);
      clock.advance(50);
    }
    expect(cycles).toEqual([]);
    clock.advance(100);
    await scheduler.idle();
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.at).toBe(550); // 100 ms after the last signal (at 450)
    expect(cycles[0]?.reasons).toHaveLength(10);
  });

  test('a burst that never pauses still gets its cycle after maxDebounceMs', async () => {
    const clock = manualTimers();
    const starts: number[] = [];
    const scheduler = new CycleScheduler({
      debounceMs: 100,
      maxDebounceMs: 1000,
      timers: clock.timers,
      now: clock.now,
      runCycle: async () => {
        starts.push(clock.now());
      },
    });
    for (let t = 0; t < 1500; t += 20) {
      scheduler.signal('pod');
      clock.advance(20);
      await tick();
    }
    expect(starts[0]).toBe(1000);
  });

  test('one signal alone waits exactly one quiet period', async () => {
    const clock = manualTimers();
    const starts: number[] = [];
    const scheduler = new CycleScheduler({
      debounceMs: 100,
      timers: clock.timers,
      now: clock.now,
      runCycle: async () => {
        starts.push(clock.now());
      },
    });
    scheduler.signal('pod');
    clock.advance(99);
    expect(starts).toEqual([]);
    clock.advance(1);
    await scheduler.idle();
    expect(starts).toEqual([100]);
  });
});
