/**
 * Counts things in flight per caller with two bounds (used for waiting token requests, pass-through requests and
 * connections). For waiting requests: bounds the token-route requests that take the slow path (waiting for MIC, for a pod to appear, for an upstream
 * call) per caller and per node. Without it one pod could hold thousands of requests open for the whole retry
 * budget and take NMI, and with it every pod on the node, past its memory limit. The map only holds callers that
 * have a request waiting right now, so its size is bounded by `maxTotal` whatever addresses callers use.
 */
export class WaitingRequests {
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
