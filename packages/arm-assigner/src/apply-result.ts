import type { ArmIdentityState, ArmTarget } from '@podid/crd-types';
import type { ArmAssignerError } from './errors.js';
import type { DropReason } from './identity-error-parsing.js';

export type ApplyStatus = 'succeeded' | 'partially_succeeded' | 'failed' | 'noop';

export interface DroppedIdentity {
  /** The ID as the caller spelled it. */
  readonly id: string;
  readonly reason: DropReason;
  /** ARM's (or our validation's) message that named it. */
  readonly message: string;
}

/**
 * The outcome of one `applyIdentityDelta`.
 *
 * - `noop`: nothing needed changing (or the delta was empty); no PATCH sent.
 * - `succeeded`: every requested change is in place.
 * - `partially_succeeded`: the changes are in place except the `dropped` identities, which ARM refused (or which
 *   were malformed). Upstream reported this case as a failure even when its retry had succeeded (Q6).
 * - `failed`: `error` ended the run. `applied` still lists what earlier PATCHes of this run changed.
 */
export interface ApplyIdentityDeltaResult {
  readonly target: ArmTarget;
  readonly status: ApplyStatus;
  /** IDs (caller's spelling) this run actually added to / removed from the target. */
  readonly applied: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly dropped: readonly DroppedIdentity[];
  readonly error?: ArmAssignerError;
  /**
   * The target's identity block after the run: from the last PATCH response, from the initial GET when nothing was
   * sent, or re-read after a failure so callers can classify each identity without another call (§2.9 step 5).
   * Absent when the delta was empty (no call made) or the state could not be read.
   */
  readonly finalIdentityState?: ArmIdentityState;
  /** PATCH requests that succeeded during this run. */
  readonly patchCount: number;
  /** Error-driven retries used (bounded by `updateUserMsiMaxRetry`). */
  readonly retries: number;
}
