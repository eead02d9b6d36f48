import type { ArmIdentityState, AzureAssignedIdentity } from '@podid/crd-types';
import { AssignedIdentityState } from '@podid/crd-types';
import { planArmPatch } from '../arm-patch-plan.js';
import { assignedIdentityKey } from '../assigned-identity-facts.js';
import { classifyAfterFailure } from '../failure-classification.js';
import type { AssignedIdentityWrite, AssignmentOutcome, Plan } from '../plan-types.js';
import { applyArmPatches } from './arm-identity-model.js';

/**
 * An in-memory cluster + Azure, executing plans the way MIC's executor does (§2.9), for tests: Kubernetes writes,
 * then planArmPatch against the target's identity list and the strict ARM model, then the outcomes.
 */
export class SimulatedCluster {
  readonly assigned = new Map<string, AzureAssignedIdentity>();
  readonly arm = new Map<string, ArmIdentityState>();
  /** PATCH bodies sent per target key over the simulation's lifetime. */
  readonly patchBodies = new Map<string, number>();

  constructor(assigned: readonly AzureAssignedIdentity[] = [], arm: Iterable<[string, ArmIdentityState]> = []) {
    for (const object of assigned) this.assigned.set(assignedIdentityKey(object), object);
    for (const [key, state] of arm) this.arm.set(key, state);
  }

  current(): AzureAssignedIdentity[] {
    return [...this.assigned.values()];
  }

  armState(key: string): ArmIdentityState {
    return this.arm.get(key) ?? { type: 'None', userAssignedIdentityIds: [] };
  }

  identitiesOn(key: string): string[] {
    return [...this.armState(key).userAssignedIdentityIds];
  }

  applyWrites(writes: readonly AssignedIdentityWrite[]): void {
    for (const write of writes) {
      const key = assignedIdentityKey(write.object);
      if (write.op === 'create' && this.assigned.has(key)) throw new Error(`create of existing ${key}`);
      if (write.op === 'update' && this.assigned.get(key) !== write.previous) throw new Error(`stale update of ${key}`);
      this.assigned.set(key, write.object);
    }
  }

  applyOutcomes(outcomes: readonly AssignmentOutcome[]): void {
    for (const outcome of outcomes) {
      const key = assignedIdentityKey(outcome.object);
      const stored = this.assigned.get(key);
      if (stored === undefined) throw new Error(`outcome ${outcome.action} for missing ${key}`);
      if (outcome.action === 'mark-assigned') {
        this.assigned.set(key, { ...stored, status: { ...stored.status, status: AssignedIdentityState.Assigned } });
      } else if (outcome.action === 'release') {
        this.assigned.delete(key);
      }
    }
  }

  /** Runs the whole plan with every ARM call succeeding. */
  executeSuccessfully(plan: Plan): void {
    this.execute(plan, () => 'succeed');
  }

  /**
   * Runs the plan; `armResult(key)` decides per target whether the PATCH succeeds, fails having changed nothing,
   * or fails after ARM applied it anyway (a timeout, or a retry that half-worked). Failures go through
   * `classifyAfterFailure` against the re-read identity list, as MIC's executor does.
   */
  execute(plan: Plan, armResult: (key: string) => 'succeed' | 'fail' | 'fail-after-applying'): void {
    for (const target of plan.targets) {
      this.applyWrites(target.writes);
      const armPlan = planArmPatch(this.armState(target.key), target.delta);
      if (armPlan.kind === 'refused') throw new Error(armPlan.message);
      const result = armResult(target.key);
      if (armPlan.kind === 'patch' && result !== 'fail') {
        this.arm.set(target.key, applyArmPatches(this.armState(target.key), armPlan.bodies));
        this.patchBodies.set(target.key, (this.patchBodies.get(target.key) ?? 0) + armPlan.bodies.length);
      }
      this.applyOutcomes(
        result === 'succeed' ? target.onSuccess : classifyAfterFailure(target, this.identitiesOn(target.key)),
      );
    }
    for (const object of plan.releasesWithoutArm) this.assigned.delete(assignedIdentityKey(object));
  }
}
