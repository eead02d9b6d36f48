/** Computes the keys an object is filed under in one index (an object may have several, e.g. dual-stack pod IPs). */
export type IndexFunction<T> = (object: T) => readonly string[];

/**
 * The keys filed under one index key: the key itself while there is one (most index keys, e.g. a pod's IP or an
 * assigned identity's pod, name one object), a Set from the second on. A Set costs about 150 bytes more than a
 * string, which across 100,000 objects is 15 MB per index.
 */
type Bucket = string | Set<string>;

interface Entry<T> {
  readonly value: T;
  readonly resourceVersion: string;
}

/**
 * The informer's store: objects by `namespace/name`, plus secondary indexes kept in step on every write so lookups
 * such as "pod by IP" are O(1) on NMI's hot path.
 */
export class IndexedCache<T, I extends string = never> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly indexes = new Map<I, { fn: IndexFunction<T>; buckets: Map<string, Bucket> }>();

  constructor(indexFunctions: Readonly<Record<I, IndexFunction<T>>>) {
    for (const name of Object.keys(indexFunctions) as I[]) {
      this.indexes.set(name, { fn: indexFunctions[name], buckets: new Map() });
    }
  }

  static keyOf(namespace: string | undefined, name: string): string {
    return namespace ? `${namespace}/${name}` : name;
  }

  get size(): number {
    return this.entries.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.entries.get(IndexedCache.keyOf(namespace, name))?.value;
  }

  getByKey(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  resourceVersionOf(key: string): string | undefined {
    return this.entries.get(key)?.resourceVersion;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  list(): T[] {
    return [...this.entries.values()].map((entry) => entry.value);
  }

  /** Objects filed under `indexKey` in index `index`, in no particular order. */
  byIndex(index: I, indexKey: string): T[] {
    const bucket = this.indexes.get(index)?.buckets.get(indexKey);
    if (bucket === undefined) return [];
    if (typeof bucket === 'string') {
      const entry = this.entries.get(bucket);
      return entry ? [entry.value] : [];
    }
    const values: T[] = [];
    for (const key of bucket) {
      const entry = this.entries.get(key);
      if (entry) values.push(entry.value);
    }
    return values;
  }

  /** Inserts or replaces; returns the previous value. */
  set(key: string, value: T, resourceVersion: string): T | undefined {
    const previous = this.entries.get(key);
    if (previous) this.unindex(key, previous.value);
    this.entries.set(key, { value, resourceVersion });
    for (const index of this.indexes.values()) {
      for (const indexKey of new Set(index.fn(value))) {
        const bucket = index.buckets.get(indexKey);
        if (bucket === undefined) index.buckets.set(indexKey, key);
        else if (typeof bucket === 'string') {
          if (bucket !== key) index.buckets.set(indexKey, new Set([bucket, key]));
        } else bucket.add(key);
      }
    }
    return previous?.value;
  }

  /** Removes and returns the value, if present. */
  delete(key: string): T | undefined {
    const previous = this.entries.get(key);
    if (!previous) return undefined;
    this.unindex(key, previous.value);
    this.entries.delete(key);
    return previous.value;
  }

  private unindex(key: string, value: T): void {
    for (const index of this.indexes.values()) {
      for (const indexKey of index.fn(value)) {
        const bucket = index.buckets.get(indexKey);
        if (bucket === undefined) continue;
        if (typeof bucket === 'string') {
          if (bucket === key) index.buckets.delete(indexKey);
          continue;
        }
        bucket.delete(key);
        // Back to a single key (or none), so a bucket that shrank costs what a new one does.
        if (bucket.size === 1) index.buckets.set(indexKey, bucket.values().next().value as string);
        else if (bucket.size === 0) index.buckets.delete(indexKey);
      }
    }
  }
}
