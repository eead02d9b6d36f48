import type { AzureAssignedIdentity } from '@podid/crd-types';

type Entry =
  | { readonly kind: 'object'; readonly object: AzureAssignedIdentity; readonly at: number }
  | { readonly kind: 'deleted'; readonly resourceVersion: string | undefined; readonly at: number };

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
    this.entries.set(keyOf(object), { kind: 'object', object, at: this.now() });
  }

  deleted(object: AzureAssignedIdentity): void {
    this.entries.set(keyOf(object), {
      kind: 'deleted',
      resourceVersion: object.metadata.resourceVersion,
      at: this.now(),
    });
  }

  /** The cache's objects with MIC's own newer writes laid over them. Drops entries the cache has caught up with. */
  merge(cached: readonly AzureAssignedIdentity[]): AzureAssignedIdentity[] {
    if (this.entries.size === 0) return [...cached];
    const now = this.now();
    const result: AzureAssignedIdentity[] = [];
    const seen = new Set<string>();
    for (const object of cached) {
      const key = keyOf(object);
      seen.add(key);
      const entry = this.entries.get(key);
      if (entry === undefined) {
        result.push(object);
      } else if (now - entry.at > this.ttlMs) {
        this.entries.delete(key);
        result.push(object);
      } else if (entry.kind === 'object') {
        if (notOlder(object.metadata.resourceVersion, entry.object.metadata.resourceVersion)) {
          this.entries.delete(key);
          result.push(object);
        } else {
          result.push(entry.object);
        }
      } else if (
        notOlder(object.metadata.resourceVersion, entry.resourceVersion) &&
        object.metadata.resourceVersion !== entry.resourceVersion
      ) {
        // Re-created after our delete: the cache shows a newer object.
        this.entries.delete(key);
        result.push(object);
      }
      // else: deleted by us, the cache has not noticed yet — leave it out.
    }
    for (const [key, entry] of this.entries) {
      if (seen.has(key)) continue;
      if (entry.kind === 'deleted' || now - entry.at > this.ttlMs) {
        // The cache agrees it is gone (or we stop waiting for it).
        this.entries.delete(key);
      } else {
        result.push(entry.object);
      }
    }
    return result;
  }
}
