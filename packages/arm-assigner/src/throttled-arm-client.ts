import type { ArmIdentityPatchBody, ArmIdentityState, ArmTarget, UserAssignedIdentityIdParts } from '@podid/crd-types';
import type { ArmIdentityClient, UserAssignedIdentityInfo } from './arm-identity-client.js';
import { type ArmOperation, isArmAssignerError } from './errors.js';
import type { ThrottleGate } from './throttle-gate.js';

const LABELS = {
  vm: { read: 'VMGet', write: 'VMUpdate' },
  vmss: { read: 'VMSSGet', write: 'VMSSUpdate' },
} as const;

/**
 * Wraps an ArmIdentityClient with the Retry-After back-off of §2.10: a call whose deadline has not passed fails with
 * `throttled` before any request is made; a failed call whose response carried Retry-After sets the deadline.
 */
export class ThrottledArmClient implements ArmIdentityClient {
  readonly #inner: ArmIdentityClient;
  readonly #gate: ThrottleGate;

  constructor(inner: ArmIdentityClient, gate: ThrottleGate) {
    this.#inner = inner;
    this.#gate = gate;
  }

  readIdentity(target: ArmTarget): Promise<ArmIdentityState> {
    return this.#guard(`${target.kind}:${target.subscriptionId.toLowerCase()}`, 'read', LABELS[target.kind].read, () =>
      this.#inner.readIdentity(target),
    );
  }

  patchIdentity(target: ArmTarget, body: ArmIdentityPatchBody): Promise<ArmIdentityState> {
    return this.#guard(
      `${target.kind}:${target.subscriptionId.toLowerCase()}`,
      'write',
      LABELS[target.kind].write,
      () => this.#inner.patchIdentity(target, body),
    );
  }

  readUserAssignedIdentity(id: UserAssignedIdentityIdParts): Promise<UserAssignedIdentityInfo> {
    return this.#guard(`msi:${id.subscriptionId.toLowerCase()}`, 'read', 'UserAssignedIdentityGet', () =>
      this.#inner.readUserAssignedIdentity(id),
    );
  }

  async #guard<T>(clientKey: string, operation: ArmOperation, label: string, call: () => Promise<T>): Promise<T> {
    this.#gate.assertOpen(clientKey, operation, label);
    try {
      return await call();
    } catch (error) {
      // Upstream sets the deadline from any failed response that carries Retry-After, not only from 429s.
      if (isArmAssignerError(error) && error.retryAt !== undefined) {
        this.#gate.backOffUntil(clientKey, operation, error.retryAt);
      }
      throw error;
    }
  }
}
