/**
 * Things a caller has in flight, bounded per caller and in all: token-route requests that wait (for MIC, a pod, an
 * upstream call), pass-through requests, and connections. Without these bounds one pod could hold thousands of each
 * open and take NMI, and with it every pod on the node, past its memory or file-descriptor limit. The map only holds
 * callers with something in flight now, so its size is bounded by what is in flight, whatever addresses callers use.
 */
export class CallerSlots {
  private readonly byCaller = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerCaller: number,
    private readonly maxTotal: number,
  ) {}

  /** Takes a slot for `caller`; false (and nothing taken) when either bound is reached. */
  tryEnter(caller: string): boolean {
    const current = this.byCaller.get(caller) ?? 0;
    if (current >= this.maxPerCaller || this.total >= this.maxTotal) return false;
    this.byCaller.set(caller, current + 1);
    this.total++;
    return true;
  }

  leave(caller: string): void {
    const current = this.byCaller.get(caller);
    if (current === undefined) return;
    this.total--;
    if (current <= 1) this.byCaller.delete(caller);
    else this.byCaller.set(caller, current - 1);
  }

  /** Requests waiting now (all callers), and callers with at least one (diagnostics, tests). */
  get size(): { requests: number; callers: number } {
    return { requests: this.total, callers: this.byCaller.size };
  }
}
