import { describe, expect, test } from '@jest/globals';
import { CycleScheduler, type SchedulerTimers } from './cycle-scheduler.js';

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  const delays: number[] = [];
  let next = 0;
  const timers: SchedulerTimers = {
    setTimeout: (callback, ms) => {
      delays.push(ms);
      pending.set(++next, callback);
      return next;
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    delays,
    get armed() {
      return pending.size;
    },
    fireAll() {
      const callbacks = [...pending.values()];
      pending.clear();
      for (const callback of callbacks) callback();
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

  test('the window after a cycle is at least as long as the cycle took, so cycles cannot take the whole loop', async () => {
    const clock = manualTimers();
    let now = 0;
    const scheduler = new CycleScheduler({
      debounceMs: 100,
      timers: clock.timers,
      now: () => now,
      runCycle: async () => {
        now += 300; // a cycle that plans for 300 ms
      },
    });
    scheduler.signal('a');
    clock.fireAll();
    await scheduler.idle();
    scheduler.signal('b');
    expect(clock.delays).toEqual([100, 300]);
  });
});
