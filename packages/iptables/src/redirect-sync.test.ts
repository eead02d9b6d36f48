import { describe, expect, test } from '@jest/globals';
import type { EnsureRedirectResult } from './ensure-redirect.js';
import { type SyncTimer, startRedirectSync } from './redirect-sync.js';
import { createFakeRunner } from './test-support/fake-runner.js';

const CORRECT_CHAIN = [
  '-N aad-metadata',
  '-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579',
  '-A aad-metadata -j RETURN',
].join('\n');

/** A timer the test fires by hand: no wall-clock waiting. */
function manualTimer() {
  const ticks: Array<() => void> = [];
  const intervals: number[] = [];
  let cancelled = 0;
  const timer: SyncTimer = {
    every(intervalMs, tick) {
      intervals.push(intervalMs);
      ticks.push(tick);
      return () => {
        cancelled++;
      };
    },
  };
  return {
    timer,
    intervals,
    fire: () => {
      for (const tick of ticks) tick();
    },
    cancelled: () => cancelled,
  };
}

/** A node whose chain content the test can change between ticks. */
function nodeState() {
  const state = { chain: CORRECT_CHAIN as string | undefined, jump: true };
  const runner = createFakeRunner(({ line, input }) => {
    if (line.endsWith('-S aad-metadata-reject')) return { exitCode: 1 };
    if (line.endsWith('-S aad-metadata')) return state.chain === undefined ? { exitCode: 1 } : { stdout: state.chain };
    if (line.endsWith('-C PREROUTING -j aad-metadata')) return { exitCode: state.jump ? 0 : 1 };
    if (line.startsWith('iptables-restore')) state.chain = input?.includes('DNAT') ? CORRECT_CHAIN : state.chain;
    if (line.endsWith('-I PREROUTING 1 -j aad-metadata')) state.jump = true;
    return undefined;
  });
  return { state, runner };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('startRedirectSync', () => {
  test('uses the 60 s default interval and repairs drift on a tick, reporting what it fixed', async () => {
    const { state, runner } = nodeState();
    const clock = manualTimer();
    const repaired: EnsureRedirectResult[] = [];
    const sync = startRedirectSync({ runner, timer: clock.timer, onRepaired: (result) => repaired.push(result) });
    expect(clock.intervals).toEqual([60_000]);

    clock.fire();
    await settle();
    expect(repaired).toEqual([]); // nothing drifted

    state.chain = '-N aad-metadata\n-A aad-metadata -j RETURN'; // someone deleted the DNAT rule
    state.jump = false; // and the jump
    clock.fire();
    await settle();
    expect(repaired).toHaveLength(1);
    expect(repaired[0]?.repairs).toEqual(['chain_rewritten', 'jump_inserted']);
    expect(state.chain).toBe(CORRECT_CHAIN);
    expect(state.jump).toBe(true);
    sync.stop();
  });

  test('a tick that fires while one is running joins it instead of overlapping', async () => {
    const { runner } = nodeState();
    const clock = manualTimer();
    const sync = startRedirectSync({ runner, timer: clock.timer, intervalMs: 5_000 });
    const first = sync.syncNow();
    clock.fire();
    clock.fire();
    expect(sync.syncNow()).toBe(first);
    await first;
    expect(runner.calls.filter((call) => call.line.endsWith('-S aad-metadata'))).toHaveLength(1);
    sync.stop();
  });

  test('errors go to onError and the loop keeps ticking; stop() cancels the timer and ignores late ticks', async () => {
    let fail = true;
    const runner = createFakeRunner(({ line }) => {
      if (fail) return { exitCode: 4, stderr: 'xtables lock timeout' };
      if (line.endsWith('-S aad-metadata-reject')) return { exitCode: 1 };
      if (line.endsWith('-S aad-metadata')) return { stdout: CORRECT_CHAIN };
      return undefined;
    });
    const clock = manualTimer();
    const errors: unknown[] = [];
    const sync = startRedirectSync({ runner, timer: clock.timer, onError: (error) => errors.push(error) });
    clock.fire();
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'command_failed', exitCode: 4 });

    fail = false;
    clock.fire();
    await settle();
    expect(errors).toHaveLength(1);

    sync.stop();
    expect(clock.cancelled()).toBe(1);
    const callsBefore = runner.calls.length;
    clock.fire();
    await settle();
    expect(runner.calls.length).toBe(callsBefore);
  });

  test('rejects a non-positive interval', () => {
    expect(() => startRedirectSync({ runner: createFakeRunner(), intervalMs: 0 })).toThrow(RangeError);
  });
});
