import type { AzureAssignedIdentity } from '@podid/crd-types';

/** `versions`: every resourceVersion MIC's writes of this object produced while the entry lived (the newest last). */
type Entry =
  | {
      readonly kind: 'object';
      readonly object: AzureAssignedIdentity;
      readonly versions: readonly string[];
      readonly at: number;
    }
  | {
      readonly kind: 'deleted';
      readonly namespace: string;
      readonly name: string;
      readonly resourceVersion: string | undefined;
      readonly at: number;
    };

/** The cache the overlay lies over: its objects, and one of them by namespace and name. */
export interface AssignedIdentityCache {
  list(): AzureAssignedIdentity[];
  get(namespace: string, name: string): AzureAssignedIdentity | undefined;
}

/** A cache change, as the informer reports it. */
export type AssignedIdentityChange =
  | { readonly type: 'add' | 'update'; readonly object: AzureAssignedIdentity }
  | { readonly type: 'delete'; readonly object: AzureAssignedIdentity };

/** An object written create-then-status keeps two versions; a few more cover retries within the entry's life. */
const MAX_VERSIONS_KEPT = 4;

function keyOf(object: AzureAssignedIdentity): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/** Kubernetes resourceVersions are opaque, but every real server issues increasing integers; use that when we can. */
function notOlder(candidate: string | undefined, reference: string | undefined): boolean {
  if (candidate === undefined || reference === undefined) return false;
  if (candidate === reference) return true;
  const a = Number(candidate);
  const b = Number(reference);
  return Number.isSafeInteger(a) && Number.isSafeInteger(b) && a >= b;
}

/**
 * Read-your-writes for MIC's AzureAssignedIdentity cache. After a cycle writes objects, the informer may not have
 * seen the writes when the next cycle plans; without this, that cycle would create the same objects again (409s and
 * spurious error events). Upstream slept 200 ms after each cycle and hoped. Here, what MIC wrote wins over the cache
 * until the cache shows that version (or a newer one), or until `ttlMs` passes (the cache is then trusted again, so
 * a missed event can never pin a stale view for long).
 */
export class OwnWritesOverlay {
  private readonly entries = new Map<string, Entry>();
  /** Objects with a write under way, and how many. */
  private readonly inFlight = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  wrote(object: AzureAssignedIdentity): void {
    const key = keyOf(object);
    const previous = this.entries.get(key);
    const earlier = previous?.kind === 'object' ? previous.versions.slice(-(MAX_VERSIONS_KEPT - 1)) : [];
    const version = object.metadata.resourceVersion;
    const versions = version === undefined ? earlier : [...earlier, version];
    this.entries.set(key, { kind: 'object', object, versions, at: this.now() });
  }

  /**
   * Whether this cache change is only the echo of MIC's own write: the version one of its writes produced, the
   * disappearance of an object it deleted, or any change to an object while MIC is writing it. Such a change plans
   * nothing (this overlay shows it already, or will once the write returns), so it need not start a cycle; anyone
   * else's create, edit or delete does. An echo that arrives after its entry is gone is not recognised, which costs
   * one cycle that finds nothing to do.
   *
   * A watch event often arrives before the response of the write that caused it, so a change to an object with a
   * write in flight counts as an echo even though its version is not known yet. That hides nothing: the cycle that
   * made the write always plans again once its work is over (a follow-up or a retry), and that cycle reads the cache.
   */
  isOwnEcho(change: AssignedIdentityChange): boolean {
    const key = keyOf(change.object);
    if (this.inFlight.has(key)) return true;
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    // After MIC's delete, the only updates still to come are older than it (a watch is ordered per object): the
    // versions its own multi-step delete wrote on the way (finalizer removed), or edits the delete made moot.
    if (entry.kind === 'deleted') return change.type !== 'add';
    if (change.type === 'delete') return false;
    const version = change.object.metadata.resourceVersion;
    return version !== undefined && entry.versions.includes(version);
  }

  /**
   * Runs one write of `object` (create, update, status or delete), marking it in flight meanwhile so that its watch
   * event, if it comes first, is taken for the echo it is.
   */
  async writing<T>(object: AzureAssignedIdentity, write: () => Promise<T>): Promise<T> {
    const key = keyOf(object);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    try {
      return await write();
    } finally {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    }
  }

  deleted(object: AzureAssignedIdentity): void {
    this.entries.set(keyOf(object), {
      kind: 'deleted',
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name ?? '',
      resourceVersion: object.metadata.resourceVersion,
      at: this.now(),
    });
  }

  /**
   * The cache's objects with MIC's own newer writes laid over them. Drops entries the cache has caught up with.
   * Walks the entries (a cycle's writes: hundreds) and looks each up in the cache, rather than keying all of the
   * cache's objects (100,000 strings built and hashed per cycle at 100k pods); the cache's list is then copied once,
   * with the few objects the entries replace or hide swapped by identity.
   */
  merge(cache: AssignedIdentityCache): AzureAssignedIdentity[] {
    const cached = cache.list();
    if (this.entries.size === 0) return cached;
    const now = this.now();
    /** Cached object → what the merged view shows instead (null: hidden, MIC deleted it). */
    const swapped = new Map<AzureAssignedIdentity, AzureAssignedIdentity | null>();
    const extra: AzureAssignedIdentity[] = [];
    for (const [key, entry] of this.entries) {
      const inCache =
        entry.kind === 'object'
          ? cache.get(entry.object.metadata.namespace ?? '', entry.object.metadata.name ?? '')
          : cache.get(entry.namespace, entry.name);
      if (now - entry.at > this.ttlMs) {
        // Stop waiting for the cache: trust it again, whatever it shows.
        this.entries.delete(key);
      } else if (inCache === undefined) {
        // Not (or no longer) in the cache: our delete is confirmed; our write is not seen yet.
        if (entry.kind === 'deleted') this.entries.delete(key);
        else extra.push(entry.object);
      } else if (entry.kind === 'object') {
        if (notOlder(inCache.metadata.resourceVersion, entry.object.metadata.resourceVersion)) this.entries.delete(key);
        else swapped.set(inCache, entry.object);
      } else if (
        notOlder(inCache.metadata.resourceVersion, entry.resourceVersion) &&
        inCache.metadata.resourceVersion !== entry.resourceVersion
      ) {
        // Re-created after our delete: the cache shows a newer object.
        this.entries.delete(key);
      } else {
        // Deleted by us, the cache has not noticed yet: leave it out.
        swapped.set(inCache, null);
      }
    }
    if (swapped.size === 0 && extra.length === 0) return cached;
    const result: AzureAssignedIdentity[] = [];
    for (const object of cached) {
      const instead = swapped.get(object);
      if (instead === undefined) result.push(object);
      else if (instead !== null) result.push(instead);
    }
    for (const object of extra) result.push(object);
    return result;
  }
}
