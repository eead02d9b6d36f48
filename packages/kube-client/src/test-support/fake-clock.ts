import type { Clock, ClockTimer } from '../clock.js';

interface PendingTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** A manually advanced clock: timers fire only inside `advance`, in due-time order. */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), callback };
    this.timers.push(timer);
    return { __clockTimer: true, id: timer.id } as unknown as ClockTimer;
  }

  clearTimeout(handle: ClockTimer): void {
    const id = (handle as unknown as { id: number }).id;
    this.timers = this.timers.filter((timer) => timer.id !== id);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers one by one and letting promise continuations run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const due = this.timers[0];
      if (!due || due.at > target) break;
      this.timers.shift();
      this.current = due.at;
      due.callback();
    }
    this.current = target;
    await flushMicrotasks();
  }
}

export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
