/**
 * In-memory storage with one global, monotonically increasing resourceVersion (like etcd's revision), a bounded
 * history of changes for watch replay, and per-type/per-namespace indexes so lists and watch fan-out do not scan
 * unrelated objects.
 */
import type { KubeObject } from './resource-types.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredChange {
  rv: number;
  type: ChangeType;
  storageKey: string;
  namespace: string;
  object: KubeObject;
  /** The object before a MODIFIED change; watchers with selectors need it to send ADDED/DELETED transitions. */
  previous?: KubeObject;
  /** Serialized watch lines, computed once and shared by every watcher that sends the same thing. */
  lineCache?: Map<string, string>;
}

export type ChangeListener = (change: StoredChange) => void;

class TypeBucket {
  readonly objects = new Map<string, KubeObject>();
  readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  private sortedAll: string[] | undefined;
  private readonly sortedByNamespace = new Map<string, string[]>();

  invalidateOrder(namespace: string): void {
    this.sortedAll = undefined;
    this.sortedByNamespace.delete(namespace);
  }

  /** Keys in etcd order (`namespace/name`), cached until an object is added or removed. */
  sortedKeys(namespace: string | undefined): string[] {
    if (namespace === undefined) {
      this.sortedAll ??= [...this.objects.keys()].sort();
      return this.sortedAll;
    }
    let keys = this.sortedByNamespace.get(namespace);
    if (keys === undefined) {
      const ns = this.byNamespace.get(namespace);
      keys = ns === undefined ? [] : [...ns.keys()].map((name) => objectKey(namespace, name)).sort();
      this.sortedByNamespace.set(namespace, keys);
    }
    return keys;
  }
}

export function objectKey(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

export class ObjectStore {
  private revision = 0;
  private readonly buckets = new Map<string, TypeBucket>();
  private readonly history: StoredChange[] = [];
  /** Changes with rv <= compactedRevision are gone from history; watching from before it answers 410. */
  private compactedRevision = 0;
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  /** Sees every change of every type (the garbage collector's index). */
  observer: ((type: ChangeType, storageKey: string, object: KubeObject) => void) | undefined;

  constructor(private historyLimit: number) {}

  get currentRevision(): number {
    return this.revision;
  }

  get oldestWatchableRevision(): number {
    return this.compactedRevision;
  }

  nextRevision(): number {
    this.revision += 1;
    return this.revision;
  }

  private bucket(storageKey: string): TypeBucket {
    let b = this.buckets.get(storageKey);
    if (b === undefined) {
      b = new TypeBucket();
      this.buckets.set(storageKey, b);
    }
    return b;
  }

  get(storageKey: string, namespace: string, name: string): KubeObject | undefined {
    return this.buckets.get(storageKey)?.objects.get(objectKey(namespace, name));
  }

  count(storageKey: string, namespace?: string): number {
    const b = this.buckets.get(storageKey);
    if (b === undefined) return 0;
    return namespace === undefined ? b.objects.size : (b.byNamespace.get(namespace)?.size ?? 0);
  }

  /** Objects in key order, starting after `afterKey` (for list continuation). */
  *iterate(storageKey: string, namespace: string | undefined, afterKey?: string): Generator<[string, KubeObject]> {
    const b = this.buckets.get(storageKey);
    if (b === undefined) return;
    const keys = b.sortedKeys(namespace);
    let start = 0;
    if (afterKey !== undefined) {
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid]! <= afterKey) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    for (let i = start; i < keys.length; i++) {
      const key = keys[i]!;
      const obj = b.objects.get(key);
      if (obj !== undefined) yield [key, obj];
    }
  }

  /** How many objects sort after `afterKey` (the remainingItemCount of an unfiltered page). */
  countAfter(storageKey: string, namespace: string | undefined, afterKey: string): number {
    const b = this.buckets.get(storageKey);
    if (b === undefined) return 0;
    const keys = b.sortedKeys(namespace);
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! <= afterKey) lo = mid + 1;
      else hi = mid;
    }
    return keys.length - lo;
  }

  /** Every namespace that holds at least one object of any type (for namespace deletion). */
  storageKeysWithObjectsIn(namespace: string): string[] {
    const out: string[] = [];
    for (const [key, b] of this.buckets) if ((b.byNamespace.get(namespace)?.size ?? 0) > 0) out.push(key);
    return out;
  }

  /** Writes an object whose metadata.resourceVersion is already the new revision, records and publishes it. */
  put(storageKey: string, obj: KubeObject, type: 'ADDED' | 'MODIFIED', previous?: KubeObject): void {
    const namespace = String(obj['metadata']?.namespace ?? '');
    const name = String(obj['metadata']?.name);
    const b = this.bucket(storageKey);
    const key = objectKey(namespace, name);
    if (!b.objects.has(key)) b.invalidateOrder(namespace);
    b.objects.set(key, obj);
    let ns = b.byNamespace.get(namespace);
    if (ns === undefined) {
      ns = new Map();
      b.byNamespace.set(namespace, ns);
    }
    ns.set(name, obj);
    const change: StoredChange = {
      rv: Number(obj['metadata'].resourceVersion),
      type,
      storageKey,
      namespace,
      object: obj,
    };
    if (previous !== undefined) change.previous = previous;
    this.record(change);
  }

  /** Removes an object; `finalState` carries the deletion's resourceVersion as the real server's DELETED event does. */
  remove(storageKey: string, finalState: KubeObject): void {
    const namespace = String(finalState['metadata']?.namespace ?? '');
    const name = String(finalState['metadata']?.name);
    const b = this.buckets.get(storageKey);
    if (b === undefined) return;
    const key = objectKey(namespace, name);
    if (!b.objects.delete(key)) return;
    b.invalidateOrder(namespace);
    const ns = b.byNamespace.get(namespace);
    ns?.delete(name);
    if (ns !== undefined && ns.size === 0) b.byNamespace.delete(namespace);
    this.record({
      rv: Number(finalState['metadata'].resourceVersion),
      type: 'DELETED',
      storageKey,
      namespace,
      object: finalState,
    });
  }

  private record(change: StoredChange): void {
    this.observer?.(change.type, change.storageKey, change.object);
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      // Drop in batches so the array shift cost is amortised over many writes.
      const drop = Math.max(1, Math.floor(this.historyLimit / 10));
      const removed = this.history.splice(0, Math.min(drop, this.history.length));
      this.compactedRevision = removed[removed.length - 1]!.rv;
    }
    const ls = this.listeners.get(change.storageKey);
    if (ls !== undefined) for (const l of [...ls]) l(change);
  }

  /** Changes of one type after `rv`, or undefined when that part of history has been compacted away. */
  changesSince(storageKey: string, rv: number): StoredChange[] | undefined {
    if (rv < this.compactedRevision) return undefined;
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredChange[] = [];
    for (let i = lo; i < this.history.length; i++) {
      const c = this.history[i]!;
      if (c.storageKey === storageKey) out.push(c);
    }
    return out;
  }

  /** Forgets all history: every watch resuming from an earlier resourceVersion gets 410 Expired. */
  compactHistory(): void {
    this.history.length = 0;
    this.compactedRevision = this.revision;
  }

  setHistoryLimit(limit: number): void {
    this.historyLimit = limit;
  }

  subscribe(storageKey: string, listener: ChangeListener): () => void {
    let ls = this.listeners.get(storageKey);
    if (ls === undefined) {
      ls = new Set();
      this.listeners.set(storageKey, ls);
    }
    ls.add(listener);
    return () => ls.delete(listener);
  }
}
