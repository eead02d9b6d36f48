/**
 * Garbage collection by `metadata.ownerReferences`, as kube-controller-manager's garbage collector does it, run
 * asynchronously after the write that made it necessary (like the real controller):
 * - a dependent whose owners are all gone (no object with that uid) is deleted (background: its own dependents
 *   follow); one that still has a live owner only loses the dangling references;
 * - an owner deleted with `propagationPolicy=Foreground` waits, with `deletionTimestamp` and the
 *   `foregroundDeletion` finalizer, until its dependents are gone; they are deleted first;
 * - an owner deleted with `Orphan` (or `orphanDependents: true`) waits with the `orphan` finalizer while the
 *   references to it are removed from its dependents, then goes.
 * Only objects with ownerReferences or one of those finalizers are tracked, so writes of other objects cost nothing.
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

export class GarbageCollector {
  private readonly dependents = new Map<string, ObjectLocator>();
  private readonly waitingOwners = new Map<string, ObjectLocator>();
  private scheduled = false;
  private stopped = false;

  constructor(private readonly host: GcHost) {}

  /** Called for every stored change; keeps the two small indexes and schedules a pass when one can make progress. */
  observe(type: ChangeType, storageKey: string, obj: KubeObject): void {
    const meta = obj['metadata'] ?? {};
    const at: ObjectLocator = { storageKey, namespace: String(meta.namespace ?? ''), name: String(meta.name) };
    const k = key(at);
    const owned = type !== 'DELETED' && Array.isArray(meta.ownerReferences) && meta.ownerReferences.length > 0;
    if (owned) this.dependents.set(k, at);
    else this.dependents.delete(k);
    const waiting = type !== 'DELETED' && meta.deletionTimestamp !== undefined && hasGcFinalizer(obj);
    if (waiting) this.waitingOwners.set(k, at);
    else this.waitingOwners.delete(k);
    if (waiting || (type === 'DELETED' && (this.dependents.size > 0 || this.waitingOwners.size > 0))) this.schedule();
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

  /** One pass over the tracked objects; writes it makes are observed and schedule the next pass if needed. */
  runPass(): void {
    for (const at of [...this.dependents.values()]) this.processDependent(at);
    for (const at of [...this.waitingOwners.values()]) this.processWaitingOwner(at);
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
    const uid = owner['metadata'].uid;
    const stillReferenced = [...this.dependents.values()].some((d) =>
      (this.host.read(d)?.['metadata'].ownerReferences ?? []).some((r: OwnerReference) => r.uid === uid),
    );
    if (stillReferenced) return;
    const finalizers: string[] = owner['metadata'].finalizers ?? [];
    for (const f of [ORPHAN_FINALIZER, FOREGROUND_FINALIZER]) {
      if (finalizers.includes(f)) {
        this.host.removeFinalizer(at, f);
        return;
      }
    }
  }
}
