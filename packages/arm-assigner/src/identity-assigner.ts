import {
  type ArmIdentityState,
  type ArmTarget,
  armTargetKey,
  type IdentityDelta,
  type PlanArmPatch,
  parseUserAssignedIdentityId,
} from '@podid/crd-types';
import type { ApplyIdentityDeltaResult } from './apply-result.js';
import type { ArmIdentityClient, UserAssignedIdentityInfo } from './arm-identity-client.js';
import { ArmAssignerError, isArmAssignerError } from './errors.js';
import { identitiesNamedInError } from './identity-error-parsing.js';
import { KeyedMutex } from './keyed-mutex.js';
import { type Clock, ThrottleGate } from './throttle-gate.js';
import { type ArmCallEvent, ThrottledArmClient } from './throttled-arm-client.js';
import { validateArmTarget } from './target-validation.js';
import { WorkingDelta } from './working-delta.js';

/** `--update-user-msi-max-retry` default (§2.15). */
export const DEFAULT_UPDATE_USER_MSI_MAX_RETRY = 2;
/** `--update-user-msi-retry-interval` default (§2.15), in milliseconds. */
export const DEFAULT_UPDATE_USER_MSI_RETRY_INTERVAL_MS = 1000;

export interface IdentityAssignerOptions {
  /** The ARM calls (the SDK-backed client from `createSdkArmIdentityClient`, or a fake in tests). */
  readonly client: ArmIdentityClient;
  /** Plans PATCH bodies from the current identity block and the delta; MIC passes reconciler's `planArmPatch`. */
  readonly planPatch: PlanArmPatch;
  /** Error-driven retries per `applyIdentityDelta` (default 2, as upstream). */
  readonly updateUserMsiMaxRetry?: number;
  /** Pause before each error-driven retry (default 1000 ms). */
  readonly updateUserMsiRetryIntervalMs?: number;
  /** Time source for Retry-After deadlines. */
  readonly clock?: Clock;
  /** How to wait for the retry interval; tests inject an instant one. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called after every ARM call (and every throttled refusal); MIC feeds its cloud_provider_* metrics from it. */
  readonly onArmCall?: (event: ArmCallEvent) => void;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Applies identity deltas to VMs and VMSSs (§2.10): one GET, then the planned PATCHes one after another, dropping
 * identities ARM refuses and retrying, all under a per-target lock. Calls for different targets run concurrently.
 */
export class IdentityAssigner {
  readonly #client: ArmIdentityClient;
  readonly #planPatch: PlanArmPatch;
  readonly #maxRetry: number;
  readonly #retryIntervalMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #targetLocks = new KeyedMutex();
  readonly throttleGate: ThrottleGate;

  constructor(options: IdentityAssignerOptions) {
    this.throttleGate = new ThrottleGate(options.clock ?? Date.now);
    this.#client = new ThrottledArmClient(options.client, this.throttleGate, options.onArmCall);
    this.#planPatch = options.planPatch;
    this.#maxRetry = Math.max(0, options.updateUserMsiMaxRetry ?? DEFAULT_UPDATE_USER_MSI_MAX_RETRY);
    this.#retryIntervalMs = Math.max(
      0,
      options.updateUserMsiRetryIntervalMs ?? DEFAULT_UPDATE_USER_MSI_RETRY_INTERVAL_MS,
    );
    this.#sleep = options.sleep ?? realSleep;
  }

  /** Reads the identity block of a VM or VMSS. Rejects with an `ArmAssignerError`. */
  async getIdentityState(target: ArmTarget): Promise<ArmIdentityState> {
    const invalid = validateArmTarget(target);
    if (invalid !== undefined) throw invalid;
    return this.#client.readIdentity(target);
  }

  /** Looks up a user-assigned identity (client ID, principal ID) by resource ID. Rejects with an `ArmAssignerError`. */
  async getUserAssignedIdentity(resourceId: string): Promise<UserAssignedIdentityInfo> {
    const parsed = parseUserAssignedIdentityId(resourceId);
    if (!parsed.ok) throw new ArmAssignerError('invalid_resource_id', parsed.error.message);
    return this.#client.readUserAssignedIdentity(parsed.value);
  }

  /**
   * Applies one delta. Never rejects: every failure is reported in the result's `error` with a stable code.
   * Calls for the same target (by `armTargetKey`) run one after another; calls for different targets overlap.
   */
  async applyIdentityDelta(target: ArmTarget, delta: IdentityDelta): Promise<ApplyIdentityDeltaResult> {
    const invalid = validateArmTarget(target);
    if (invalid !== undefined) return failedBeforeStart(target, invalid);
    const working = new WorkingDelta(delta);
    if (working.isEmpty) {
      // Upstream: nothing to add or remove means no GET and no PATCH.
      if (working.dropped.length === 0) return emptyResult(target, 'noop');
      return {
        ...emptyResult(target, 'failed'),
        dropped: working.dropped,
        error: new ArmAssignerError('identities_rejected', 'every identity of the delta was malformed'),
      };
    }
    return this.#targetLocks.run(armTargetKey(target), () => this.#applyLocked(target, working));
  }

  /** Applies many deltas concurrently (one at a time per target); results come back in input order. */
  applyAll(
    items: readonly { readonly target: ArmTarget; readonly delta: IdentityDelta }[],
  ): Promise<ApplyIdentityDeltaResult[]> {
    return Promise.all(items.map((item) => this.applyIdentityDelta(item.target, item.delta)));
  }

  async #applyLocked(target: ArmTarget, working: WorkingDelta): Promise<ApplyIdentityDeltaResult> {
    let before: ArmIdentityState;
    try {
      before = await this.#client.readIdentity(target);
    } catch (error) {
      return { ...failedBeforeStart(target, toArmAssignerError(error)), dropped: working.dropped };
    }

    let current = before;
    let patchCount = 0;
    let retries = 0;
    let failure: ArmAssignerError | undefined;

    planning: while (!working.isEmpty) {
      const plan = this.#planPatch(current, working.toDelta());
      if (plan.kind === 'noop') break;
      if (plan.kind === 'refused') {
        failure = new ArmAssignerError(plan.code, plan.message);
        break;
      }
      // Bodies go one at a time: each is planned against the list the previous one leaves (chunks of ≤150).
      for (const body of plan.bodies) {
        try {
          current = await this.#client.patchIdentity(target, body);
          patchCount++;
        } catch (error) {
          const armError = toArmAssignerError(error);
          const named = identitiesNamedInError(armError.armErrorCode, armError.message);
          if (named !== undefined && retries < this.#maxRetry) {
            const droppedNow = working.drop(named.ids, named.reason, armError.message);
            if (droppedNow > 0) {
              retries++;
              // Re-plan from the last state ARM confirmed, without the refused identities (§2.10, fix of Q6).
              if (!working.isEmpty) await this.#sleep(this.#retryIntervalMs);
              continue planning;
            }
          }
          failure = armError;
          break planning;
        }
      }
    }

    let finalIdentityState: ArmIdentityState | undefined = current;
    if (failure !== undefined && failure.code !== 'target_deleting') {
      finalIdentityState = await this.#client.readIdentity(target).catch(() => undefined);
    }
    const applied = working.appliedBetween(
      before.userAssignedIdentityIds,
      (finalIdentityState ?? current).userAssignedIdentityIds,
    );
    const base = {
      target,
      applied,
      dropped: working.dropped,
      patchCount,
      retries,
      ...(finalIdentityState === undefined ? {} : { finalIdentityState }),
    };
    if (failure !== undefined) return { ...base, status: 'failed', error: failure };
    if (working.dropped.length === 0) return { ...base, status: patchCount === 0 ? 'noop' : 'succeeded' };
    if (working.isEmpty) {
      return {
        ...base,
        status: 'failed',
        error: new ArmAssignerError('identities_rejected', 'ARM refused every identity of the delta', {}),
      };
    }
    return { ...base, status: 'partially_succeeded' };
  }
}

function emptyResult(target: ArmTarget, status: 'noop' | 'failed'): ApplyIdentityDeltaResult {
  return { target, status, applied: { added: [], removed: [] }, dropped: [], patchCount: 0, retries: 0 };
}

function failedBeforeStart(target: ArmTarget, error: ArmAssignerError): ApplyIdentityDeltaResult {
  return { ...emptyResult(target, 'failed'), error };
}

/** The SDK client maps its errors already; anything else (a bug, a fake) still becomes a typed error. */
function toArmAssignerError(error: unknown): ArmAssignerError {
  if (isArmAssignerError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ArmAssignerError('arm_request_failed', message, { cause: error });
}
