import {
  type ArmIdentityPatchBody,
  type ArmIdentityState,
  type ArmIdentityType,
  type ArmTarget,
  armTargetKey,
  type UserAssignedIdentityIdParts,
} from '@podid/crd-types';
import type { ArmIdentityClient, UserAssignedIdentityInfo } from '../arm-identity-client.js';
import { ArmAssignerError } from '../errors.js';

type Call = { kind: 'read' | 'patch' | 'msi'; targetKey: string; body?: ArmIdentityPatchBody };

/** A scripted failure: thrown instead of performing the next matching call. */
export type ScriptedFailure = (call: Call) => ArmAssignerError | undefined;

/**
 * An in-memory ArmIdentityClient for unit tests: keeps one identity block per target, applies PATCH bodies with
 * ARM's semantics, records every call, and lets a test script failures or hold PATCHes open (to observe overlap).
 */
export class FakeArmIdentityClient implements ArmIdentityClient {
  readonly states = new Map<string, ArmIdentityState>();
  readonly calls: Call[] = [];
  readonly failures: ScriptedFailure[] = [];
  /** When set, each PATCH waits for this promise factory before applying (to keep it "in flight"). */
  patchGate: (() => Promise<void>) | undefined;
  inFlightPatches = 0;
  maxInFlightPerTarget = new Map<string, number>();
  #inFlightByTarget = new Map<string, number>();

  setState(target: ArmTarget, state: ArmIdentityState): void {
    this.states.set(armTargetKey(target), state);
  }

  stateOf(target: ArmTarget): ArmIdentityState | undefined {
    return this.states.get(armTargetKey(target));
  }

  callsOf(kind: Call['kind']): Call[] {
    return this.calls.filter((c) => c.kind === kind);
  }

  async readIdentity(target: ArmTarget): Promise<ArmIdentityState> {
    const call: Call = { kind: 'read', targetKey: armTargetKey(target) };
    this.calls.push(call);
    this.#maybeFail(call);
    const state = this.states.get(call.targetKey);
    if (state === undefined) throw new ArmAssignerError('target_not_found', `no such target ${call.targetKey}`);
    return state;
  }

  async patchIdentity(target: ArmTarget, body: ArmIdentityPatchBody): Promise<ArmIdentityState> {
    const call: Call = { kind: 'patch', targetKey: armTargetKey(target), body };
    this.calls.push(call);
    const inFlight = (this.#inFlightByTarget.get(call.targetKey) ?? 0) + 1;
    this.#inFlightByTarget.set(call.targetKey, inFlight);
    this.maxInFlightPerTarget.set(
      call.targetKey,
      Math.max(this.maxInFlightPerTarget.get(call.targetKey) ?? 0, inFlight),
    );
    this.inFlightPatches++;
    try {
      if (this.patchGate !== undefined) await this.patchGate();
      this.#maybeFail(call);
      const current = this.states.get(call.targetKey);
      if (current === undefined) throw new ArmAssignerError('target_not_found', `no such target ${call.targetKey}`);
      const next = applyBody(current, body);
      this.states.set(call.targetKey, next);
      return next;
    } finally {
      this.inFlightPatches--;
      this.#inFlightByTarget.set(call.targetKey, (this.#inFlightByTarget.get(call.targetKey) ?? 1) - 1);
    }
  }

  async readUserAssignedIdentity(id: UserAssignedIdentityIdParts): Promise<UserAssignedIdentityInfo> {
    const call: Call = { kind: 'msi', targetKey: `${id.subscriptionId}/${id.resourceGroup}/${id.name}`.toLowerCase() };
    this.calls.push(call);
    this.#maybeFail(call);
    return {
      id: `/subscriptions/${id.subscriptionId}/resourceGroups/${id.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${id.name}`,
      name: id.name,
      clientId: `client-${id.name}`,
      principalId: `principal-${id.name}`,
      tenantId: 'tenant',
    };
  }

  #maybeFail(call: Call): void {
    for (const failure of this.failures) {
      const error = failure(call);
      if (error !== undefined) throw error;
    }
  }
}

/** ARM's PATCH semantics for the identity block: `{}` adds, `null` removes, `type` decides what kinds remain. */
function applyBody(current: ArmIdentityState, body: ArmIdentityPatchBody): ArmIdentityState {
  const ids = new Map(current.userAssignedIdentityIds.map((id) => [id.toLowerCase(), id]));
  const type: ArmIdentityType = body.identity.type;
  if (type === 'None' || type === 'SystemAssigned') ids.clear();
  for (const [id, value] of Object.entries(body.identity.userAssignedIdentities ?? {})) {
    if (value === null) ids.delete(id.toLowerCase());
    else ids.set(id.toLowerCase(), id);
  }
  return {
    type,
    userAssignedIdentityIds: [...ids.values()],
    ...(current.provisioningState === undefined ? {} : { provisioningState: current.provisioningState }),
  };
}

export function identityId(name: string, subscription = 'sub-1', resourceGroup = 'rg-ids'): string {
  return `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}
