import type { AzureAssignedIdentity, AzureIdentity, AzureIdentityBinding, Node, Pod } from '@podid/crd-types';
import { POD_LABEL_KEY } from '@podid/crd-types';
import type { InformerChange } from '@podid/kube-client';
import { isTerminalPhase, MatchMemo, matchAssignments } from '@podid/matcher';
import {
  type ClusterNode,
  identityReconcileTargets,
  planCycle,
  planIdentityReconcile,
  type ReconcilerConfig,
} from '@podid/reconciler';
import { CycleScheduler } from './cycle-scheduler.js';
import type { FederatedCredentialManager } from './federated-credentials.js';
import { findInputProblems } from './input-problems.js';
import { WriteBackoff } from './write-backoff.js';
import { OwnWritesOverlay } from './own-writes.js';
import {
  type AssignedIdentityWriter,
  type AssignmentEvents,
  type ExecutionSummary,
  type ExecutorObserver,
  type IdentityDeltaApplier,
  PlanExecutor,
} from './plan-executor.js';

/** An informer change, as kube-client's ResilientInformer reports it. */
export type SourceChange<T> = InformerChange<T>;

/** The part of an informer the controller reads: its cache and its changes. */
export interface CacheSource<T> {
  list(): T[];
  get(namespace: string | undefined, name: string): T | undefined;
  onChange(listener: (change: SourceChange<T>) => void): () => void;
}

export interface ControllerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: ControllerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface ControllerObserver extends ExecutorObserver {
  /** One sync cycle ended; `workDone` when it wrote anything or called ARM. */
  cycle(seconds: number, workDone: boolean, summary: ExecutionSummary | undefined): void;
}

export interface MicControllerOptions {
  readonly sources: {
    readonly pods: CacheSource<Pod>;
    readonly nodes: CacheSource<Node>;
    readonly identities: CacheSource<AzureIdentity>;
    readonly bindings: CacheSource<AzureIdentityBinding>;
    readonly assignedIdentities: CacheSource<AzureAssignedIdentity>;
  };
  readonly writer: AssignedIdentityWriter;
  readonly arm: IdentityDeltaApplier;
  readonly events: AssignmentEvents;
  /** Tells bad input (invalid identities, bindings, unmappable nodes) once per interval; none: not told. */
  readonly problems?: { report(problems: ReturnType<typeof findInputProblems>): number };
  readonly observer: ControllerObserver;
  /** `--manage-federated-credentials`: handed every cycle's matching; none: federated credentials are not managed. */
  readonly federatedCredentials?: Pick<FederatedCredentialManager, 'sync' | 'stop'>;
  readonly namespaced: boolean;
  readonly reconciler: ReconcilerConfig;
  /** `--createDeleteBatch`. */
  readonly writeConcurrency: number;
  /** First wait before a failed Kubernetes write of one object is tried again; doubles up to 5 min. Default 1 s. */
  readonly writeRetryInitialMs?: number;
  /** `--sync-debounce`. */
  readonly debounceMs: number;
  /** `--syncRetryDuration`: a full cycle at least this often, events or not. */
  readonly syncIntervalMs: number;
  /** `--identity-assignment-reconcile-interval`. */
  readonly identityReconcileIntervalMs: number;
  /** First wait before retrying a cycle that failed somewhere; doubles up to `retryMaxMs`. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  readonly timers?: ControllerTimers;
  readonly now?: () => number;
}

/**
 * Does this pod change matter to matching? Status churn (conditions, IPs, restarts, Pending → Running) does not: of
 * the phase only the step into or out of Succeeded/Failed changes what the pod needs.
 */
function podChangeMatters(change: SourceChange<Pod>): boolean {
  if (change.type !== 'update') return true;
  const before = change.previous;
  const after = change.object;
  return (
    before.spec?.nodeName !== after.spec?.nodeName ||
    before.metadata.labels?.[POD_LABEL_KEY] !== after.metadata.labels?.[POD_LABEL_KEY] ||
    isTerminalPhase(before.status?.phase) !== isTerminalPhase(after.status?.phase) ||
    before.metadata.deletionTimestamp !== after.metadata.deletionTimestamp
  );
}

function clusterNodes(nodes: readonly Node[]): ClusterNode[] {
  return nodes.map((node) => ({ name: node.metadata.name, providerID: node.spec?.providerID }));
}

/**
 * MIC's control loop: informer changes → coalesced cycles of matcher → reconciler → executor, a periodic full
 * cycle, a periodic identity reconcile, and retries with back-off when a cycle could not finish its work.
 * Runs only while this replica leads; `stop()` ends it cleanly.
 */
export class MicController {
  private readonly options: MicControllerOptions;
  private readonly timers: ControllerTimers;
  private readonly now: () => number;
  private readonly overlay: OwnWritesOverlay;
  /** Unchanged pods are not matched again from one cycle to the next. */
  private readonly matchMemo = new MatchMemo();
  private readonly executor: PlanExecutor;
  private readonly scheduler: CycleScheduler;
  private readonly unsubscribers: Array<() => void> = [];
  private readonly intervals: unknown[] = [];
  private retryTimer: unknown;
  private retryDelayMs: number;
  private reconcileRunning: Promise<void> | undefined;
  /** The work of cycles that is still under way (their Kubernetes writes and ARM updates). */
  private readonly executions = new Set<Promise<ExecutionSummary>>();
  private stopped = false;

  constructor(options: MicControllerOptions) {
    this.options = options;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? (() => performance.now());
    this.overlay = new OwnWritesOverlay();
    this.retryDelayMs = options.retryInitialMs ?? 5000;
    this.executor = new PlanExecutor({
      writer: this.recordingWriter(options.writer),
      arm: options.arm,
      events: options.events,
      observer: options.observer,
      writeConcurrency: options.writeConcurrency,
      writeBackoff: new WriteBackoff(this.now, options.writeRetryInitialMs ?? 1000),
      now: this.now,
      onSkippedWorkFreed: () => this.scheduler.signal('busy-target-freed'),
    });
    this.scheduler = new CycleScheduler({
      debounceMs: options.debounceMs,
      timers: this.timers,
      now: this.now,
      // Planning only: the work a cycle starts goes on after it, so the next cycle need not wait for ARM.
      runCycle: async (reasons) => {
        this.startCycle(reasons);
      },
      onCycleError: (error) => {
        options.observer.log('error', 'sync cycle failed', { error: String(error) });
        this.scheduleRetry();
      },
    });
  }

  /** Number of sync cycles started. */
  get cycleCount(): number {
    return this.scheduler.cycleCount;
  }

  start(): void {
    const { sources } = this.options;
    this.unsubscribers.push(
      sources.pods.onChange((change) => {
        if (podChangeMatters(change)) this.scheduler.signal('pod');
      }),
      sources.bindings.onChange(() => this.scheduler.signal('binding')),
      sources.identities.onChange(() => this.scheduler.signal('identity')),
      sources.nodes.onChange((change) => {
        if (change.type !== 'update') this.scheduler.signal('node');
      }),
      // Our own writes come back here too and plan nothing (the overlay showed them already); anyone else's create,
      // edit or delete must be seen.
      sources.assignedIdentities.onChange((change) => {
        if (!this.overlay.isOwnEcho(change)) this.scheduler.signal('assigned-identity');
      }),
    );
    this.intervals.push(
      this.timers.setInterval(() => this.scheduler.signal('periodic'), this.options.syncIntervalMs),
      this.timers.setInterval(() => void this.runIdentityReconcile(), this.options.identityReconcileIntervalMs),
    );
    this.scheduler.signal('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const handle of this.intervals.splice(0)) this.timers.clearInterval(handle);
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    await this.scheduler.stop();
    await Promise.allSettled([...this.executions]);
    await this.reconcileRunning;
    await this.options.federatedCredentials?.stop();
  }

  /** Resolves when no cycle is running or waiting and no cycle's work is under way (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      await this.scheduler.idle();
      if (this.executions.size === 0) return;
      await Promise.allSettled([...this.executions]);
    }
  }

  /**
   * One sync cycle (spec §2.4), planning from the caches plus MIC's own writes not yet seen in them; resolves when
   * the work it started is done (undefined when there was none).
   */
  async runCycle(reasons: ReadonlySet<string> = new Set(['manual'])): Promise<ExecutionSummary | undefined> {
    return this.startCycle(reasons);
  }

  /**
   * Plans one cycle and starts its work, returning that work (undefined when there is none). The scheduler does not
   * wait for it: the next cycle plans as soon as new events call for it, while this one's ARM updates are still under
   * way. The executor keeps those VMs/VMSSs to this cycle until it is done, and this cycle's end asks for another.
   */
  private startCycle(reasons: ReadonlySet<string>): Promise<ExecutionSummary> | undefined {
    const { sources, observer } = this.options;
    const started = this.now();
    const match = matchAssignments(sources.pods.list(), sources.bindings.list(), sources.identities.list(), {
      namespaced: this.options.namespaced,
      memo: this.matchMemo,
    });
    // Invalid identities and bindings are told by `problems` (rate-limited), not logged every cycle.
    for (const skipped of match.skipped) {
      if (skipped.code === 'duplicate_identity_name') observer.log('warn', skipped.message, { code: skipped.code });
    }
    this.options.federatedCredentials?.sync({
      assignments: match.assignments,
      pods: sources.pods.list(),
      identities: sources.identities.list(),
    });
    const plan = planCycle({
      desired: match.assignments,
      current: this.overlay.merge(sources.assignedIdentities),
      nodes: clusterNodes(sources.nodes.list()),
      config: this.options.reconciler,
    });
    const told = new Set(['unmappable_provider_id', 'assignment_skipped']);
    for (const diagnostic of plan.diagnostics) {
      if (this.options.problems === undefined || !told.has(diagnostic.code)) {
        observer.log('warn', diagnostic.message, { code: diagnostic.code });
      }
    }
    this.options.problems?.report(
      findInputProblems({
        identities: sources.identities.list(),
        bindings: sources.bindings.list(),
        skipped: match.skipped,
        diagnostics: plan.diagnostics,
      }),
    );
    if (plan.targets.length === 0 && plan.releasesWithoutArm.length === 0) {
      observer.cycle((this.now() - started) / 1000, false, undefined);
      return undefined;
    }

    // Planning is CPU on the event loop; the rest is waiting on Kubernetes and ARM. Both are logged, apart.
    const planningMs = this.now() - started;
    const work = this.executor.execute(plan).then((summary) => {
      this.finishCycle(summary, { reasons, started, planningMs, pods: match.assignments.length });
      return summary;
    });
    this.executions.add(work);
    const forget = () => this.executions.delete(work);
    work.then(forget, (error: unknown) => {
      forget();
      observer.log('error', 'sync cycle failed', { error: String(error) });
      this.scheduleRetry();
    });
    return work;
  }

  private finishCycle(
    summary: ExecutionSummary,
    cycle: { reasons: ReadonlySet<string>; started: number; planningMs: number; pods: number },
  ): void {
    const { observer } = this.options;
    const { busyTargets, ...counts } = summary;
    const didNothing = Object.values(counts).every((count) => count === 0) && busyTargets > 0;
    if (didNothing) {
      // Every target was still busy with an earlier cycle's work; that work's end asks for the next cycle.
      observer.cycle((this.now() - cycle.started) / 1000, false, undefined);
      return;
    }
    observer.cycle((this.now() - cycle.started) / 1000, true, summary);
    observer.log('info', 'sync cycle done', {
      reasons: [...cycle.reasons],
      pods: cycle.pods,
      planningMs: Math.round(cycle.planningMs),
      executionMs: Math.round(this.now() - cycle.started - cycle.planningMs),
      ...summary,
    });
    if (summary.failedTargets > 0 || summary.failedWrites > 0) {
      this.scheduleRetry();
    } else if (summary.deferredWrites > 0) {
      // Only objects waiting out their write back-off: come back when the first of them may be tried again.
      this.scheduleRetry(this.executor.writeBackoff.nextReadyInMs());
    } else {
      this.retryDelayMs = this.options.retryInitialMs ?? 5000;
      // Confirm: the next cycle must find nothing left to do (its plan sees our writes through the overlay), and
      // targets this cycle left busy for an earlier one are planned again.
      this.scheduler.signal('follow-up');
    }
  }

  /**
   * §2.11: re-add identities that `Assigned` objects expect on their VM/VMSS but ARM no longer has (e.g. after a
   * node-image upgrade). One GET per target; never removes anything; a vanished node is skipped, never fatal (Q7).
   */
  runIdentityReconcile(): Promise<void> {
    if (this.reconcileRunning || this.stopped) return this.reconcileRunning ?? Promise.resolve();
    this.reconcileRunning = this.reconcileOnce().finally(() => {
      this.reconcileRunning = undefined;
    });
    return this.reconcileRunning;
  }

  private async reconcileOnce(): Promise<void> {
    const { sources, arm, observer } = this.options;
    const input = {
      assigned: sources.assignedIdentities.list(),
      nodes: clusterNodes(sources.nodes.list()),
      vmLocation: this.options.reconciler,
    };
    const actual = new Map<string, readonly string[]>();
    const { targets } = identityReconcileTargets(input);
    await Promise.all(
      targets.map(async ({ key, target }) => {
        try {
          actual.set(key, (await arm.getIdentityState(target)).userAssignedIdentityIds);
        } catch (error) {
          observer.log('warn', 'identity reconcile could not read a target', { target: key, error: String(error) });
        }
      }),
    );
    const plan = planIdentityReconcile({ ...input, actual });
    for (const diagnostic of plan.diagnostics) observer.log('info', diagnostic.message, { code: diagnostic.code });
    for (const patch of plan.patches) {
      observer.log('warn', 'identities missing from their VM/VMSS; adding them back', {
        target: patch.key,
        identities: patch.delta.add,
      });
      const result = await arm.applyIdentityDelta(patch.target, patch.delta).catch((error: unknown) => ({
        status: 'failed' as const,
        error: error instanceof Error ? error : new Error(String(error)),
      }));
      if (result.status === 'failed') {
        observer.log('error', 'failed to re-add identities', { target: patch.key, error: result.error?.message });
      }
    }
  }

  private scheduleRetry(afterMs?: number): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delay = afterMs === undefined ? this.retryDelayMs : Math.max(afterMs, 10);
    if (afterMs === undefined) this.retryDelayMs = Math.min(delay * 2, this.options.retryMaxMs ?? 300_000);
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.scheduler.signal('retry');
    }, delay);
  }

  /**
   * Every write the executor makes is also remembered, so the next cycle plans from it (read-your-writes), and is
   * marked in flight while it runs, so its echo starts no cycle.
   */
  private recordingWriter(writer: AssignedIdentityWriter): AssignedIdentityWriter {
    const overlay = this.overlay;
    return {
      async create(object) {
        const written = await overlay.writing(object, () => writer.create(object));
        overlay.wrote(written);
        return written;
      },
      async update(object) {
        const written = await overlay.writing(object, () => writer.update(object));
        overlay.wrote(written);
        return written;
      },
      async setStatus(object, state) {
        const written = await overlay.writing(object, () => writer.setStatus(object, state));
        overlay.wrote(written);
        return written;
      },
      async unassign(object) {
        const written = await overlay.writing(object, () => writer.unassign(object));
        if (written === undefined) overlay.deleted(object);
        else overlay.wrote(written);
        return written;
      },
      async remove(object) {
        await overlay.writing(object, () => writer.remove(object));
        overlay.deleted(object);
      },
    };
  }
}
