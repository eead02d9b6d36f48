import { type IdentityDelta, parseUserAssignedIdentityId } from '@podid/crd-types';
import type { DroppedIdentity } from './apply-result.js';
import type { DropReason } from './identity-error-parsing.js';

/**
 * The delta being applied, keyed by lower-cased ID (ARM compares identity IDs case-insensitively) while remembering
 * how the caller spelled each ID, so results speak the caller's spelling. Identities can be dropped from it as ARM
 * rejects them.
 */
export class WorkingDelta {
  readonly #add = new Map<string, string>();
  readonly #remove = new Map<string, string>();
  readonly #dropped: DroppedIdentity[] = [];

  /** Malformed IDs (§2.13) are dropped up front with reason `InvalidResourceId`; they never reach ARM. */
  constructor(delta: IdentityDelta) {
    for (const id of delta.remove) this.#admit(this.#remove, id);
    // Add wins over remove for an ID in both lists, as upstream (§2.10).
    for (const id of delta.add) {
      if (this.#admit(this.#add, id)) this.#remove.delete(id.toLowerCase());
    }
  }

  #admit(into: Map<string, string>, id: string): boolean {
    const key = id.toLowerCase();
    const parsed = parseUserAssignedIdentityId(id);
    if (!parsed.ok) {
      if (!this.#dropped.some((d) => d.id.toLowerCase() === key)) {
        this.#dropped.push({ id, reason: 'InvalidResourceId', message: parsed.error.message });
      }
      return false;
    }
    if (!into.has(key)) into.set(key, id);
    return true;
  }

  get isEmpty(): boolean {
    return this.#add.size === 0 && this.#remove.size === 0;
  }

  get dropped(): readonly DroppedIdentity[] {
    return this.#dropped;
  }

  toDelta(): IdentityDelta {
    return { add: [...this.#add.values()], remove: [...this.#remove.values()] };
  }

  /** Drops the named IDs that are part of this delta; returns how many were dropped. */
  drop(ids: readonly string[], reason: DropReason, message: string): number {
    let count = 0;
    for (const id of ids) {
      const key = id.toLowerCase();
      const original = this.#add.get(key) ?? this.#remove.get(key);
      if (original === undefined) continue;
      this.#add.delete(key);
      this.#remove.delete(key);
      this.#dropped.push({ id: original, reason, message });
      count++;
    }
    return count;
  }

  /** IDs of this delta that went from absent to present / present to absent between two identity lists. */
  appliedBetween(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
    const beforeSet = new Set(before.map((id) => id.toLowerCase()));
    const afterSet = new Set(after.map((id) => id.toLowerCase()));
    const added = [...this.#add].filter(([key]) => afterSet.has(key) && !beforeSet.has(key)).map(([, id]) => id);
    const removed = [...this.#remove].filter(([key]) => beforeSet.has(key) && !afterSet.has(key)).map(([, id]) => id);
    return { added, removed };
  }
}
