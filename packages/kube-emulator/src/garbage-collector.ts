/**
 * Garbage collection by `metadata.ownerReferences`, as kube-controller-manager's garbage collector does it, run
 * asynchronously after the write that made it necessary (like the real controller):
 * - a dependent whose owners are all gone (no object with that uid) is deleted (background: its own dependents
 *   follow); one that still has a live owner only loses the dangling references;
 * - an owner deleted with `propagationPolicy=Foreground` waits, with `deletionTimestamp` and the
 *   `foregroundDeletion` finalizer, until its dependents are gone; they are deleted first;
 * - an owner deleted with `Orphan` (or `orphanDependents: true`) waits with the `orphan` finalizer while the
 *   references to it are removed from its dependents, then goes.
 * Only objects with ownerReferences or one of those finalizers are tracked, so writes of other objects cost nothing,
 * and a pass looks only at the objects the changes since the last pass can affect.
 */
import type { ChangeType } from './object-store.js';
import type { KubeObject } from './resource-types.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** Where an object lives: enough for the host to read or write it again. */
export interface ObjectLocator {
  storageKey: string;
  namespace: string;
  name: string;
}

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  blockOwnerDeletion?: boolean;
  controller?: boolean;
}

/** What the collector needs from the resource service. */
export interface GcHost {
  read(at: ObjectLocator): KubeObject | undefined;
  /**
   * The live object an owner reference points at (matching uid), undefined when it is gone, or 'unresolvable' when
   * its kind is not served (the real collector then leaves the dependent alone).
   */
  resolveOwner(ref: OwnerReference, dependentNamespace: string): KubeObject | undefined | 'unresolvable';
  deleteObject(at: ObjectLocator, policy: PropagationPolicy): void;
  setOwnerReferences(at: ObjectLocator, refs: OwnerReference[]): void;
  removeFinalizer(at: ObjectLocator, finalizer: string): void;
}

function key(at: ObjectLocator): string {
  return `${at.storageKey}\u0000${at.namespace}\u0000${at.name}`;
}

function hasGcFinalizer(obj: KubeObject): boolean {
  const f: unknown = obj['metadata']?.finalizers;
  return Array.isArray(f) && (f.includes(FOREGROUND_FINALIZER) || f.includes(ORPHAN_FINALIZER));
}

interface TrackedDependent {
  at: ObjectLocator;
  ownerUids: readonly string[];
}

export class GarbageCollector {
  /** Objects with ownerReferences, and the same keyed by each owner uid they name. */
  private readonly dependents = new Map<string, TrackedDependent>();
  private readonly dependentsByOwnerUid = new Map<string, Set<string>>();
  /** Owners being deleted with the foreground or orphan finalizer, by key and by uid. */
  private readonly waitingOwners = new Map<string, ObjectLocator>();
  private readonly waitingOwnerByUid = new Map<string, string>();
  /**
   * What the next pass looks at. A change only makes the objects it can affect dirty (a deleted owner's
   * dependents, a waiting owner and its dependents, a new or edited dependent, the waiting owners a dependent
   * stopped naming), so a pass costs what changed, not the number of owned objects in the store: a cluster of
   * 100,000 pods owned by ReplicaSets deletes a pod without looking at the other 99,999.
   */
  private dirtyDependents = new Set<string>();
  private dirtyOwners = new Set<string>();
  private scheduled = false;
  private stopped = false;

  constructor(private readonly host: GcHost) {}

  /** Called for every stored change; keeps the indexes and schedules a pass when one can make progress. */
  observe(type: ChangeType, storageKey: string, obj: KubeObject): void {
    const meta = obj['metadata'] ?? {};
    const at: ObjectLocator = { storageKey, namespace: String(meta.namespace ?? ''), name: String(meta.name) };
    const k = key(at);
    const refs: OwnerReference[] =
      type !== 'DELETED' && Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
    this.trackDependent(k, at, refs);

    const waiting = type !== 'DELETED' && meta.deletionTimestamp !== undefined && hasGcFinalizer(obj);
    const uid = typeof meta.uid === 'string' ? meta.uid : undefined;
    if (waiting) {
      this.waitingOwners.set(k, at);
      if (uid !== undefined) this.waitingOwnerByUid.set(uid, k);
      this.dirtyOwners.add(k);
    } else if (this.waitingOwners.delete(k) && uid !== undefined) {
      this.waitingOwnerByUid.delete(uid);
    }
    // The dependents of an owner that went, or that now waits for them, see a different owner.
    if (uid !== undefined && (type === 'DELETED' || waiting)) {
      for (const dependent of this.dependentsByOwnerUid.get(uid) ?? []) this.dirtyDependents.add(dependent);
    }
    if (this.dirtyDependents.size > 0 || this.dirtyOwners.size > 0) this.schedule();
  }

  private trackDependent(k: string, at: ObjectLocator, refs: OwnerReference[]): void {
    const before = this.dependents.get(k);
    const ownerUids = refs.map((r) => String(r.uid ?? ''));
    for (const uid of before?.ownerUids ?? []) {
      if (ownerUids.includes(uid)) continue;
      const set = this.dependentsByOwnerUid.get(uid);
      set?.delete(k);
      if (set?.size === 0) this.dependentsByOwnerUid.delete(uid);
      // A waiting owner this object no longer names may now have no dependents left.
      const owner = this.waitingOwnerByUid.get(uid);
      if (owner !== undefined) this.dirtyOwners.add(owner);
    }
    if (refs.length === 0) {
      this.dependents.delete(k);
      this.dirtyDependents.delete(k);
      return;
    }
    for (const uid of ownerUids) {
      let set = this.dependentsByOwnerUid.get(uid);
      if (set === undefined) {
        set = new Set();
        this.dependentsByOwnerUid.set(uid, set);
      }
      set.add(k);
    }
    this.dependents.set(k, { at, ownerUids });
    // New or edited references are checked at once (an owner that is already gone makes the object garbage),
    // unless they are the same as before.
    if (before === undefined || before.ownerUids.join('\u0000') !== ownerUids.join('\u0000'))
      this.dirtyDependents.add(k);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) this.runPass();
    });
  }

  stop(): void {
    this.stopped = true;
  }

  /** One pass over the dirty objects; writes it makes are observed and schedule the next pass if needed. */
  runPass(): void {
    const dependents = this.dirtyDependents;
    const owners = this.dirtyOwners;
    this.dirtyDependents = new Set();
    this.dirtyOwners = new Set();
    for (const k of dependents) {
      const tracked = this.dependents.get(k);
      if (tracked !== undefined) this.processDependent(tracked.at);
    }
    for (const k of owners) {
      const at = this.waitingOwners.get(k);
      if (at !== undefined) this.processWaitingOwner(at);
    }
  }

  /**
   * The real controller's classification: solid owners (alive, not being deleted), dangling ones (gone), owners
   * waiting for their dependents (foreground) and owners orphaning theirs.
   */
  private processDependent(at: ObjectLocator): void {
    const obj = this.host.read(at);
    if (obj === undefined) return;
    const refs: OwnerReference[] = obj['metadata'].ownerReferences ?? [];
    const solid: OwnerReference[] = [];
    let dangling = 0;
    let waiting = 0;
    for (const ref of refs) {
      const owner = this.host.resolveOwner(ref, at.namespace);
      if (owner === 'unresolvable') {
        solid.push(ref);
        continue;
      }
      if (owner === undefined) {
        dangling++;
        continue;
      }
      const finalizers: string[] = owner['metadata'].finalizers ?? [];
      const deleting = owner['metadata'].deletionTimestamp !== undefined;
      if (deleting && finalizers.includes(ORPHAN_FINALIZER)) continue;
      if (deleting && finalizers.includes(FOREGROUND_FINALIZER)) waiting++;
      else solid.push(ref);
    }
    if (solid.length > 0) {
      // A live owner keeps the object; references to gone or foreground-deleting owners are dropped.
      if (solid.length !== refs.length) this.host.setOwnerReferences(at, solid);
      return;
    }
    if (dangling > 0 || waiting > 0) {
      if (obj['metadata'].deletionTimestamp === undefined) this.host.deleteObject(at, 'Background');
      return;
    }
    // Only orphaning owners were left: the object is kept, without references.
    this.host.setOwnerReferences(at, []);
  }

  private processWaitingOwner(at: ObjectLocator): void {
    const owner = this.host.read(at);
    if (owner === undefined) return;
    const uid = String(owner['metadata'].uid ?? '');
    if ((this.dependentsByOwnerUid.get(uid)?.size ?? 0) > 0) return;
    const finalizers: string[] = owner['metadata'].finalizers ?? [];
    for (const f of [ORPHAN_FINALIZER, FOREGROUND_FINALIZER]) {
      if (finalizers.includes(f)) {
        this.host.removeFinalizer(at, f);
        return;
      }
    }
  }
}
