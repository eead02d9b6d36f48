import type { ArmIdentityPatchBody, ArmIdentityState, ArmTarget, UserAssignedIdentityIdParts } from '@podid/crd-types';
import type { ArmIdentityClient, UserAssignedIdentityInfo } from './arm-identity-client.js';
import { type ArmOperation, isArmAssignerError } from './errors.js';
import type { ThrottleGate } from './throttle-gate.js';

const LABELS = {
  vm: { read: 'VMGet', write: 'VMUpdate' },
  vmss: { read: 'VMSSGet', write: 'VMSSUpdate' },
} as const;

/** Upstream's `operation_type` label values (§2.10 metrics), plus `identity_get` for the arm-msi lookup. */
export type ArmCallOperation = 'vm_get' | 'vm_update' | 'vmss_get' | 'vmss_update' | 'identity_get';

/** One ARM call (or one call refused by the throttle gate), for metrics such as `cloud_provider_operations_*`. */
export interface ArmCallEvent {
  readonly operation: ArmCallOperation;
  /** Wall time of the call including SDK retries and LRO polling; 0 when refused locally. */
  readonly durationMs: number;
  /** Set when the call failed (`throttled` for local refusals, as upstream counted them as errors). */
  readonly errorCode?: string;
  /** The failed response's Retry-After was ignored or capped (see `parseRetryAfter`): log this. */
  readonly retryAfterNote?: string;
}

const OPERATIONS = {
  vm: { read: 'vm_get', write: 'vm_update' },
  vmss: { read: 'vmss_get', write: 'vmss_update' },
} as const;

/**
 * Wraps an ArmIdentityClient with the Retry-After back-off of §2.10: a call whose deadline has not passed fails with
 * `throttled` before any request is made; a failed call whose response carried Retry-After sets the deadline.
 */
export class ThrottledArmClient implements ArmIdentityClient {
  readonly #inner: ArmIdentityClient;
  readonly #gate: ThrottleGate;
  readonly #onArmCall: ((event: ArmCallEvent) => void) | undefined;

  constructor(inner: ArmIdentityClient, gate: ThrottleGate, onArmCall?: (event: ArmCallEvent) => void) {
    this.#inner = inner;
    this.#gate = gate;
    this.#onArmCall = onArmCall;
  }

  readIdentity(target: ArmTarget): Promise<ArmIdentityState> {
    const call = { clientKey: clientKeyOf(target), operation: 'read', label: LABELS[target.kind].read } as const;
    return this.#guard({ ...call, event: OPERATIONS[target.kind].read }, () => this.#inner.readIdentity(target));
  }

  patchIdentity(target: ArmTarget, body: ArmIdentityPatchBody): Promise<ArmIdentityState> {
    const call = { clientKey: clientKeyOf(target), operation: 'write', label: LABELS[target.kind].write } as const;
    return this.#guard({ ...call, event: OPERATIONS[target.kind].write }, () =>
      this.#inner.patchIdentity(target, body),
    );
  }

  readUserAssignedIdentity(id: UserAssignedIdentityIdParts): Promise<UserAssignedIdentityInfo> {
    const call = {
      clientKey: `msi:${id.subscriptionId.toLowerCase()}`,
      operation: 'read',
      label: 'IdentityGet',
    } as const;
    return this.#guard({ ...call, event: 'identity_get' }, () => this.#inner.readUserAssignedIdentity(id));
  }

  async #guard<T>(
    call: { clientKey: string; operation: ArmOperation; label: string; event: ArmCallOperation },
    send: () => Promise<T>,
  ): Promise<T> {
    try {
      this.#gate.assertOpen(call.clientKey, call.operation, call.label);
    } catch (error) {
      this.#onArmCall?.({ operation: call.event, durationMs: 0, errorCode: 'throttled' });
      throw error;
    }
    const started = performance.now();
    try {
      const result = await send();
      this.#onArmCall?.({ operation: call.event, durationMs: performance.now() - started });
      return result;
    } catch (error) {
      // Upstream sets the deadline from any failed response that carries Retry-After, not only from 429s.
      if (isArmAssignerError(error) && error.retryAt !== undefined) {
        this.#gate.backOffUntil(call.clientKey, call.operation, error.retryAt);
      }
      const errorCode = isArmAssignerError(error) ? error.code : 'arm_request_failed';
      const note = isArmAssignerError(error) ? error.retryAfterNote : undefined;
      this.#onArmCall?.({
        operation: call.event,
        durationMs: performance.now() - started,
        errorCode,
        ...(note === undefined ? {} : { retryAfterNote: note }),
      });
      throw error;
    }
  }
}

function clientKeyOf(target: ArmTarget): string {
  return `${target.kind}:${target.subscriptionId.toLowerCase()}`;
}
