import type { AzureIdentity, AzureIdentityBinding, Pod } from '@podid/crd-types';
import type { DesiredAssignment, SkipReason } from './types.js';

/** What one pod contributed to a match: its assignments, its skip reasons, the selector it used. */
export interface PodOutcome {
  readonly assignments: readonly DesiredAssignment[];
  readonly skipped: readonly SkipReason[];
  readonly selector: string | undefined;
}

/** Same members, compared by reference: informer caches keep an unchanged object's reference. */
function sameMembers(previous: ReadonlySet<object>, previousLength: number, next: readonly object[]): boolean {
  if (next.length !== previousLength) return false;
  for (const member of next) if (!previous.has(member)) return false;
  return true;
}

/**
 * Lets `matchAssignments` reuse each unchanged pod's outcome from earlier calls. A pod's outcome depends only on the
 * pod and on the bindings, identities and namespaced mode, so while those are the same objects, a pod object seen
 * before is not matched again: a steady MIC cycle at 100,000 pods matches only the pods that changed (and no longer
 * hashes every assigned identity's name). Any change to a binding or identity, or to the mode, forgets everything.
 *
 * Pods are recognised by reference, as informer caches hand them out: a changed pod is a new object. Do not mutate
 * a pod (or binding, or identity) in place between calls with the same memo.
 */
export class MatchMemo {
  #bindings: ReadonlySet<object> = new Set();
  #bindingCount = -1;
  #identities: ReadonlySet<object> = new Set();
  #identityCount = -1;
  #namespaced: boolean | undefined;
  #outcomes = new WeakMap<Pod, PodOutcome>();

  /** @internal The outcomes valid for these inputs (emptied when they differ from the last call's). */
  outcomesFor(
    bindings: readonly AzureIdentityBinding[],
    identities: readonly AzureIdentity[],
    namespaced: boolean,
  ): WeakMap<Pod, PodOutcome> {
    const same =
      namespaced === this.#namespaced &&
      sameMembers(this.#bindings, this.#bindingCount, bindings) &&
      sameMembers(this.#identities, this.#identityCount, identities);
    if (!same) {
      this.#outcomes = new WeakMap();
      this.#bindings = new Set(bindings);
      this.#bindingCount = bindings.length;
      this.#identities = new Set(identities);
      this.#identityCount = identities.length;
      this.#namespaced = namespaced;
    }
    return this.#outcomes;
  }
}
