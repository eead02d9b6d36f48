import {
  type ArmTarget,
  AssignedIdentityState,
  type AzureAssignedIdentity,
  type IdentityDelta,
} from '@podid/crd-types';
import type { AssignedIdentityWrite, AssignmentOutcome, Plan, TargetPlan } from '@podid/reconciler';
import { classifyAfterFailure } from '@podid/reconciler';
import { WriteBackoff } from './write-backoff.js';
import { WriteLimit } from './write-limit.js';

/** Kubernetes writes of AzureAssignedIdentities, as §2.12 does them. Implemented over kube-client by the app. */
export interface AssignedIdentityWriter {
  create(object: AzureAssignedIdentity): Promise<AzureAssignedIdentity>;
  update(object: AzureAssignedIdentity): Promise<AzureAssignedIdentity>;
  setStatus(object: AzureAssignedIdentity, state: 'Assigned' | 'Unassigned'): Promise<AzureAssignedIdentity>;
  /**
   * The first step of a release: status `Unassigned` and MIC's finalizer removed in one write, so the `remove` of the
   * returned copy is a single DELETE. Undefined when the object is already gone.
   */
  unassign(object: AzureAssignedIdentity): Promise<AzureAssignedIdentity | undefined>;
  /** DELETE, then strip the finalizer if it is still there; a missing object counts as deleted. */
  remove(object: AzureAssignedIdentity): Promise<void>;
}

/** The ARM side, as arm-assigner's `IdentityAssigner` provides it. */
export interface IdentityDeltaApplier {
  applyIdentityDelta(
    target: ArmTarget,
    delta: IdentityDelta,
  ): Promise<{
    readonly status: 'succeeded' | 'partially_succeeded' | 'failed' | 'noop';
    readonly error?: Error;
    readonly dropped: readonly { readonly id: string; readonly message: string }[];
    readonly finalIdentityState?: { readonly userAssignedIdentityIds: readonly string[] };
    readonly patchCount: number;
  }>;
  getIdentityState(target: ArmTarget): Promise<{ readonly userAssignedIdentityIds: readonly string[] }>;
}

/** Events of §2.12, recorded on the binding (or, for `statusUpdateError`, on the assigned identity). */
export interface AssignmentEvents {
  bindingApplied(object: AzureAssignedIdentity): void;
  bindingApplyError(object: AzureAssignedIdentity, message: string): void;
  bindingRemoved(object: AzureAssignedIdentity): void;
  bindingRemoveError(object: AzureAssignedIdentity, message: string): void;
  statusUpdateError(object: AzureAssignedIdentity, message: string): void;
  /** ARM does not know the VM/VMSS of these nodes (or a node without providerID names no VM): told on each node. */
  targetNotFound(nodeNames: readonly string[], message: string): void;
}

export type KubeWriteKind = 'addition' | 'update' | 'deletion' | 'status';

/** Measurements the executor reports; the app binds them to the upstream Prometheus families. */
export interface ExecutorObserver {
  kubeWrite(kind: KubeWriteKind, seconds: number, ok: boolean): void;
  armUpdate(target: ArmTarget, seconds: number, ok: boolean, patchCount: number): void;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface PlanExecutorOptions {
  readonly writer: AssignedIdentityWriter;
  readonly arm: IdentityDeltaApplier;
  readonly events: AssignmentEvents;
  readonly observer: ExecutorObserver;
  /** `--createDeleteBatch`: most AzureAssignedIdentity writes in flight at once, over all VMs/VMSSs (upstream's). */
  readonly writeConcurrency: number;
  /** Per-object back-off of failed Kubernetes writes; default: 1 s doubling to 5 min on `now`. */
  readonly writeBackoff?: WriteBackoff;
  readonly now?: () => number;
  /**
   * A VM/VMSS (or release) that a later plan had to leave alone, because this one was working on it, is free again:
   * plan it now rather than when the whole earlier plan is done (its other targets may wait seconds on ARM).
   */
  readonly onSkippedWorkFreed?: () => void;
}

/** What one plan's execution did, for logs, metrics and tests. */
export interface ExecutionSummary {
  created: number;
  updated: number;
  assigned: number;
  leftCreated: number;
  deleted: number;
  armPatches: number;
  failedTargets: number;
  failedWrites: number;
  /** Writes not attempted because the object's earlier write failed and its back-off has not passed. */
  deferredWrites: number;
  /**
   * VMs/VMSSs of this plan left alone because an earlier plan's work on them is still under way (its ARM update);
   * the cycle after that work ends plans them again.
   */
  busyTargets: number;
}

function nameOf(object: AzureAssignedIdentity): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `task` over `items` with at most `limit` in flight; never rejects (each task handles its own errors). */
async function forEachBounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}

/**
 * Carries out a reconciler `Plan` (spec §2.9): per VM/VMSS, in parallel across targets, the Kubernetes writes
 * (bounded by `--createDeleteBatch`), then one ARM identity update, then the status patches, deletions and events
 * its outcome calls for. Failures never throw: they are logged, become events, and leave state for the next cycle.
 *
 * Several plans may be under way at once (a cycle does not wait for another's ARM updates), but never two on one
 * VM/VMSS, nor two releases of one object: a target or object still busy with an earlier plan is skipped and
 * counted in `busyTargets`, for the cycle after that work to plan again.
 */
export class PlanExecutor {
  private readonly options: PlanExecutorOptions;
  private readonly now: () => number;
  readonly writeBackoff: WriteBackoff;
  private readonly writeLimit: WriteLimit;
  /** Keys of the VMs/VMSSs, and names of the objects released without ARM, that a plan under way is working on. */
  private readonly busyTargets = new Set<string>();
  private readonly busyReleases = new Set<string>();
  /** Of those, the ones a later plan left alone: their end calls `onSkippedWorkFreed`. */
  private readonly skippedTargets = new Set<string>();
  private readonly skippedReleases = new Set<string>();

  constructor(options: PlanExecutorOptions) {
    this.options = options;
    this.writeLimit = new WriteLimit(options.writeConcurrency);
    this.now = options.now ?? (() => performance.now());
    this.writeBackoff = options.writeBackoff ?? new WriteBackoff(this.now);
  }

  /** Whether a plan under way is still working on any VM/VMSS or release. */
  get busy(): boolean {
    return this.busyTargets.size > 0 || this.busyReleases.size > 0;
  }

  async execute(fullPlan: Plan): Promise<ExecutionSummary> {
    const targets: TargetPlan[] = [];
    for (const target of fullPlan.targets) {
      if (this.busyTargets.has(target.key)) this.skippedTargets.add(target.key);
      else targets.push(target);
    }
    const releasesWithoutArm: AzureAssignedIdentity[] = [];
    for (const object of fullPlan.releasesWithoutArm) {
      if (this.busyReleases.has(nameOf(object))) this.skippedReleases.add(nameOf(object));
      else releasesWithoutArm.push(object);
    }
    const plan: Plan = { ...fullPlan, targets, releasesWithoutArm };
    for (const target of targets) this.busyTargets.add(target.key);
    for (const object of releasesWithoutArm) this.busyReleases.add(nameOf(object));
    try {
      return await this.executeFree(plan, fullPlan.targets.length - targets.length);
    } finally {
      // Each is freed as soon as its own work ends; this catches any left (a throw).
      for (const target of targets) this.freeTarget(target.key);
      for (const object of releasesWithoutArm) this.freeRelease(nameOf(object));
    }
  }

  private freeTarget(key: string): void {
    if (!this.busyTargets.delete(key)) return;
    if (this.skippedTargets.delete(key)) this.options.onSkippedWorkFreed?.();
  }

  private freeRelease(name: string): void {
    if (!this.busyReleases.delete(name)) return;
    if (this.skippedReleases.delete(name)) this.options.onSkippedWorkFreed?.();
  }

  private async executeFree(plan: Plan, busyTargets: number): Promise<ExecutionSummary> {
    const summary: ExecutionSummary = {
      created: 0,
      updated: 0,
      assigned: 0,
      leftCreated: 0,
      deleted: 0,
      armPatches: 0,
      failedTargets: 0,
      failedWrites: 0,
      deferredWrites: 0,
      busyTargets,
    };
    // Critical path first: targets that need an ARM update (the slow part) write their objects first, so the update
    // starts as early as possible; targets that need none write while those updates run. Only the candidates for
    // that wait on their own GET; the others start at once.
    const candidates = new Set(plan.targets.filter((target) => this.mayNeedNoArmUpdate(target)));
    const regularRuns = plan.targets
      .filter((target) => !candidates.has(target))
      .map((target) => {
        const run = this.executeTarget(target, summary);
        return { written: run.written, done: run.done.finally(() => this.freeTarget(target.key)) };
      });
    const regularWritten = Promise.all(regularRuns.map((run) => run.written));
    const candidateRuns = [...candidates].map(async (target) => {
      try {
        if (!(await this.identitiesStillOnTarget(target))) return await this.executeTarget(target, summary).done;
        await regularWritten;
        return await this.executeWithoutArm(target, summary);
      } finally {
        this.freeTarget(target.key);
      }
    });
    await Promise.all([
      ...regularRuns.map((run) => run.done),
      ...candidateRuns,
      // Nodes that no longer exist: their assigned identities go without any ARM call (§2.7).
      forEachBounded(plan.releasesWithoutArm, this.options.writeConcurrency, async (object) => {
        try {
          await this.release(object, false, summary);
        } finally {
          this.freeRelease(nameOf(object));
        }
      }),
    ]);
    return summary;
  }

  /** One Kubernetes write, inside the global `--createDeleteBatch` limit, measured. */
  private timed<T>(kind: KubeWriteKind, work: () => Promise<T>): Promise<T> {
    return this.writeLimit.run(() => this.measured(kind, work));
  }

  private async measured<T>(kind: KubeWriteKind, work: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      const result = await work();
      this.options.observer.kubeWrite(kind, (this.now() - started) / 1000, true);
      return result;
    } catch (error) {
      this.options.observer.kubeWrite(kind, (this.now() - started) / 1000, false);
      throw error;
    }
  }

  /** The regular path for one target; `written` settles when its Kubernetes writes are done and ARM is next. */
  private executeTarget(plan: TargetPlan, summary: ExecutionSummary): { written: Promise<void>; done: Promise<void> } {
    // Steps 1–2: create/update the objects (status Created) before asking ARM for their identities.
    const failedWrites = new Set<string>();
    const written = forEachBounded(plan.writes, this.options.writeConcurrency, async (write) => {
      await this.write(write, write.object, summary, failedWrites);
    });
    return { written, done: written.then(() => this.updateArmAndFinish(plan, summary, failedWrites)) };
  }

  private async updateArmAndFinish(plan: TargetPlan, summary: ExecutionSummary, failedWrites: ReadonlySet<string>) {
    // An identity whose object could not be written must not be added to the VM: nothing would ever refer to it,
    // so nothing would ever remove it again. Keep it only if another written assignment needs it too.
    const pending = plan.pending.filter((entry) => !failedWrites.has(nameOf(entry.object)));
    const stillNeeded = new Set(pending.map((entry) => entry.resourceId).filter((id) => id !== undefined));
    const delta: IdentityDelta = { add: plan.delta.add.filter((id) => stillNeeded.has(id)), remove: plan.delta.remove };
    const narrowed: TargetPlan = { ...plan, pending, delta };

    // Step 3: one ARM identity update for the whole VM or VMSS.
    const outcomes = await this.applyArm(narrowed, summary);
    if (outcomes === undefined) return;

    // Steps 4–5: status patches, deletions and events, bounded like the writes.
    await forEachBounded(outcomes, this.options.writeConcurrency, (outcome) => this.finish(outcome, summary));
  }

  /** One create or update of an AzureAssignedIdentity; a failure becomes an event and a log line, never a throw. */
  private async write(
    write: AssignedIdentityWrite,
    object: AzureAssignedIdentity,
    summary: ExecutionSummary,
    failedWrites: Set<string>,
  ): Promise<boolean> {
    const { observer, events } = this.options;
    const key = nameOf(object);
    if (!this.writeBackoff.ready(key)) {
      summary.deferredWrites++;
      failedWrites.add(key); // not written: its identity must not be added to the target either
      return false;
    }
    try {
      if (write.op === 'create') {
        await this.timed('addition', () => this.options.writer.create(object));
        summary.created++;
      } else {
        await this.timed('update', () => this.options.writer.update(object));
        summary.updated++;
      }
      this.writeBackoff.succeeded(key);
      return true;
    } catch (error) {
      this.writeBackoff.failed(key);
      summary.failedWrites++;
      failedWrites.add(nameOf(object));
      const verb = write.op === 'create' ? 'create' : 'update';
      events.bindingApplyError(
        object,
        `failed to ${verb} AzureAssignedIdentity ${nameOf(object)}: ${messageOf(error)}`,
      );
      observer.log('error', `failed to ${verb} AzureAssignedIdentity`, {
        assignedIdentity: nameOf(object),
        error: messageOf(error),
      });
      return false;
    }
  }

  /** What the plan alone says: something to write, nothing to remove, and every identity to add confirmed. */
  private mayNeedNoArmUpdate(plan: TargetPlan): boolean {
    if (plan.writes.length === 0 || plan.delta.remove.length > 0) return false;
    const confirmed = new Set(plan.confirmedResourceIds);
    return plan.delta.add.every((id) => confirmed.has(id));
  }

  /**
   * For a target that `mayNeedNoArmUpdate`: true when a GET shows every identity to add still there, so the ARM step
   * would change nothing. Only then are new objects written directly as `Assigned`: the claim is always checked
   * against Azure. Targets without a confirmed hint get no GET here, since their ARM step reads the target itself.
   */
  private async identitiesStillOnTarget(plan: TargetPlan): Promise<boolean> {
    // Service principals only: there is no ARM step at all.
    if (plan.delta.add.length === 0) return true;
    try {
      const state = await this.options.arm.getIdentityState(plan.target);
      const present = new Set(state.userAssignedIdentityIds.map((id) => id.toLowerCase()));
      return plan.delta.add.every((id) => present.has(id));
    } catch (error) {
      // The regular path reads the target again and reports what goes wrong.
      this.options.observer.log('warn', 'cannot read identities of the target; updating it the regular way', {
        target: plan.key,
        error: messageOf(error),
      });
      return false;
    }
  }

  /**
   * The target already has every identity its objects need: each new or updated object is written once, directly
   * as `Assigned` (upstream writes `Created`, then `Assigned` after an ARM update that changes nothing). Half the
   * Kubernetes writes is what lets a burst of pods on VMSSs that already carry their identity finish in one ARM latency.
   */
  private async executeWithoutArm(plan: TargetPlan, summary: ExecutionSummary): Promise<void> {
    const failedWrites = new Set<string>();
    await forEachBounded(plan.writes, this.options.writeConcurrency, async (write) => {
      const object: AzureAssignedIdentity = {
        ...write.object,
        status: { ...write.object.status, status: AssignedIdentityState.Assigned },
      };
      if (await this.write(write, object, summary, failedWrites)) {
        summary.assigned++;
        this.options.events.bindingApplied(object);
      }
    });
    // Objects written above are done (or failed); retries of `Created` objects and releases go on as after ARM.
    const written = new Set(plan.writes.map((write) => nameOf(write.object)));
    const rest = plan.onSuccess.filter(
      (outcome) => outcome.action !== 'mark-assigned' || !written.has(nameOf(outcome.object)),
    );
    await forEachBounded(rest, this.options.writeConcurrency, (outcome) => this.finish(outcome, summary));
  }

  /** Returns the outcomes to apply, or undefined when even the state of the target is unknown (retry next cycle). */
  private async applyArm(
    plan: TargetPlan,
    summary: ExecutionSummary,
  ): Promise<readonly AssignmentOutcome[] | undefined> {
    const { observer } = this.options;
    const stillPending = new Set(plan.pending.map((entry) => nameOf(entry.object)));
    const onSuccess = plan.onSuccess.filter(
      (outcome) => outcome.action !== 'mark-assigned' || stillPending.has(nameOf(outcome.object)),
    );
    if (plan.delta.add.length === 0 && plan.delta.remove.length === 0) return onSuccess;

    const started = this.now();
    let result: Awaited<ReturnType<IdentityDeltaApplier['applyIdentityDelta']>>;
    try {
      result = await this.options.arm.applyIdentityDelta(plan.target, plan.delta);
    } catch (error) {
      result = {
        status: 'failed',
        error: error instanceof Error ? error : new Error(String(error)),
        dropped: [],
        patchCount: 0,
      };
    }
    const ok = result.status === 'succeeded' || result.status === 'noop';
    observer.armUpdate(plan.target, (this.now() - started) / 1000, ok, result.patchCount);
    summary.armPatches += result.patchCount;
    if (ok) return onSuccess;

    // Partial success or failure: ask what is on the target now and classify each object by it (§2.9 step 5).
    summary.failedTargets++;
    observer.log(result.status === 'failed' ? 'error' : 'warn', 'identity update on ARM did not fully succeed', {
      target: plan.key,
      status: result.status,
      error: result.error?.message,
      dropped: result.dropped.map((entry) => entry.id),
    });
    if ((result.error as { code?: unknown } | undefined)?.code === 'target_not_found') {
      this.options.events.targetNotFound(
        plan.nodeNames,
        `its Azure ${plan.target.kind === 'vmss' ? 'VMSS' : 'VM'} ${plan.target.name} (resource group ${plan.target.resourceGroup}) does not exist in ARM, so pods on it get no identity (a node without spec.providerID is looked up as a VM named like the node): ${result.error?.message ?? ''}`,
      );
    }
    let actual = result.finalIdentityState?.userAssignedIdentityIds;
    if (actual === undefined) {
      try {
        actual = (await this.options.arm.getIdentityState(plan.target)).userAssignedIdentityIds;
      } catch (error) {
        observer.log('error', 'cannot read identities of the target after a failed update; retrying next cycle', {
          target: plan.key,
          error: messageOf(error),
        });
        // Every pending object stays Created: say so, with ARM's reason, as a classified failure would.
        for (const { object } of plan.pending) this.applyErrorEvent(object, result.error?.message ?? messageOf(error));
        return undefined;
      }
    }
    const reasonById = new Map(result.dropped.map((entry) => [entry.id.toLowerCase(), entry.message]));
    const failureMessage = result.error?.message ?? 'identity update failed';
    return classifyAfterFailure(plan, actual).map((outcome) => {
      if (outcome.action === 'leave-created') {
        const id = plan.pending.find((p) => nameOf(p.object) === nameOf(outcome.object))?.resourceId;
        const why = (id && reasonById.get(id)) ?? failureMessage;
        this.applyErrorEvent(outcome.object, why);
      }
      return outcome;
    });
  }

  private applyErrorEvent(object: AzureAssignedIdentity, why: string): void {
    this.options.events.bindingApplyError(
      object,
      `failed to apply binding ${object.spec.azureBindingRef?.metadata?.namespace ?? ''}/${object.spec.azureBindingRef?.metadata?.name ?? ''} node ${object.spec.nodename ?? ''} for pod ${object.spec.podNamespace ?? ''}/${object.spec.pod ?? ''}, error: ${why}`,
    );
  }

  private async finish(outcome: AssignmentOutcome, summary: ExecutionSummary): Promise<void> {
    switch (outcome.action) {
      case 'mark-assigned':
        try {
          await this.timed('status', () => this.options.writer.setStatus(outcome.object, 'Assigned'));
          summary.assigned++;
          this.options.events.bindingApplied(outcome.object);
        } catch (error) {
          this.options.events.statusUpdateError(outcome.object, messageOf(error));
        }
        return;
      case 'leave-created':
        summary.leftCreated++;
        return;
      case 'retry-release':
        this.options.observer.log('info', 'identity still on the target; keeping the assigned identity to retry', {
          assignedIdentity: nameOf(outcome.object),
        });
        return;
      case 'release':
        await this.release(outcome.object, outcome.markUnassigned, summary);
        return;
    }
  }

  private async release(object: AzureAssignedIdentity, markUnassigned: boolean, summary: ExecutionSummary) {
    const key = nameOf(object);
    if (!this.writeBackoff.ready(key)) {
      summary.deferredWrites++;
      return;
    }
    try {
      let current: AzureAssignedIdentity | undefined = object;
      if (markUnassigned) current = await this.timed('status', () => this.options.writer.unassign(object));
      if (current !== undefined) {
        const unassigned = current;
        await this.timed('deletion', () => this.options.writer.remove(unassigned));
      }
      this.writeBackoff.succeeded(key);
      summary.deleted++;
      this.options.events.bindingRemoved(object);
    } catch (error) {
      this.writeBackoff.failed(key);
      summary.failedWrites++;
      this.options.events.bindingRemoveError(object, messageOf(error));
      this.options.observer.log('error', 'failed to delete AzureAssignedIdentity', {
        assignedIdentity: nameOf(object),
        error: messageOf(error),
      });
    }
  }
}
