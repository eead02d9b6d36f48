import type { Clock } from '../lookup/lookups.js';
import type { TokenSet } from './issued-token.js';

export interface TokenCacheOptions {
  readonly clock: Clock;
  /** LRU bound on entries (default 1000). */
  readonly maxEntries?: number;
  /**
   * LRU bound on what entries hold (keys and tokens, counted as UTF-16 string bytes; default 32 MiB): a pod asking
   * for endless distinct, long `resource` values cannot grow the cache past it, whatever the entry count.
   */
  readonly maxBytes?: number;
  /** A token is served only while it has more than this left (msal's own renewal offset is 5 minutes). */
  readonly minRemainingMs?: number;
  /** Inside this window before expiry a hit also starts one background refresh. */
  readonly refreshAheadMs?: number;
  /** After a failed background refresh, wait this long before trying again (the old token is still served). */
  readonly refreshRetryMs?: number;
  readonly onBackgroundRefreshError?: (key: string, error: unknown) => void;
}

export type CacheOutcome = 'hit' | 'miss' | 'joined';

interface Entry {
  /** What this entry counts against `maxBytes`: its key, plus its tokens once it has them. */
  bytes: number;
  value?: TokenSet | undefined;
  inflight?: Promise<TokenSet> | undefined;
  nextRefreshAttemptMs: number;
}

/**
 * Tokens by (identity, resource). Concurrent misses for one key share one upstream call (single-flight); hits
 * close to expiry trigger one refresh in the background so callers rarely wait. Authorisation is NOT this
 * class's job: the caller checks the pod's right to the identity before every `get`.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private totalBytes = 0;
  private readonly minRemainingMs: number;
  private readonly refreshAheadMs: number;
  private readonly refreshRetryMs: number;
  private readonly onBackgroundRefreshError: ((key: string, error: unknown) => void) | undefined;

  constructor(options: TokenCacheOptions) {
    this.clock = options.clock;
    this.maxEntries = Math.max(1, options.maxEntries ?? 1000);
    this.maxBytes = Math.max(1, options.maxBytes ?? 32 * 1024 * 1024);
    this.minRemainingMs = options.minRemainingMs ?? 5 * 60_000;
    this.refreshAheadMs = Math.max(this.minRemainingMs, options.refreshAheadMs ?? 15 * 60_000);
    this.refreshRetryMs = options.refreshRetryMs ?? 30_000;
    this.onBackgroundRefreshError = options.onBackgroundRefreshError;
  }

  get size(): number {
    return this.entries.size;
  }

  /** What the entries hold now, as counted against `maxBytes`. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Keys from least to most recently used (for tests and diagnostics). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * The cached value if it may be served now (starting a background refresh when due), else undefined.
   * Synchronous, so the hit path costs no promise.
   */
  peek(key: string, fetch: () => Promise<TokenSet>): TokenSet | undefined {
    const entry = this.entries.get(key);
    if (!entry?.value) return undefined;
    const now = this.clock.now();
    if (now >= entry.value.expiresOnMs - this.minRemainingMs) return undefined;
    this.touch(key, entry);
    if (now >= entry.value.expiresOnMs - this.refreshAheadMs) this.refreshInBackground(key, entry, fetch, now);
    return entry.value;
  }

  async get(key: string, fetch: () => Promise<TokenSet>): Promise<{ value: TokenSet; outcome: CacheOutcome }> {
    const hit = this.peek(key, fetch);
    if (hit) return { value: hit, outcome: 'hit' };
    const entry = this.entries.get(key);
    if (entry) this.touch(key, entry);
    if (entry?.inflight) return { value: await entry.inflight, outcome: 'joined' };
    const fresh = entry ?? { nextRefreshAttemptMs: 0, bytes: keyBytes(key) };
    if (!entry) this.insert(key, fresh);
    return { value: await this.startFetch(key, fresh, fetch), outcome: 'miss' };
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry) this.remove(key, entry);
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  private startFetch(key: string, entry: Entry, fetch: () => Promise<TokenSet>): Promise<TokenSet> {
    const inflight = fetch().then(
      (value) => {
        entry.value = value;
        entry.inflight = undefined;
        if (this.entries.get(key) === entry) {
          const bytes = keyBytes(key) + tokenSetBytes(value);
          this.totalBytes += bytes - entry.bytes;
          entry.bytes = bytes;
          this.evictBeyondBounds(key);
        }
        return value;
      },
      (error: unknown) => {
        entry.inflight = undefined;
        // Nothing usable left: drop the entry so a failure does not occupy an LRU slot.
        if (!entry.value && this.entries.get(key) === entry) this.remove(key, entry);
        throw error;
      },
    );
    entry.inflight = inflight;
    return inflight;
  }

  private refreshInBackground(key: string, entry: Entry, fetch: () => Promise<TokenSet>, now: number): void {
    if (entry.inflight || now < entry.nextRefreshAttemptMs) return;
    entry.nextRefreshAttemptMs = now + this.refreshRetryMs;
    this.startFetch(key, entry, fetch).catch((error: unknown) => this.onBackgroundRefreshError?.(key, error));
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private insert(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.totalBytes += entry.bytes;
    this.evictBeyondBounds(key);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }

  /** Least recently used first, never `keep` (the entry being filled or inserted right now). */
  private evictBeyondBounds(keep: string): void {
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalBytes <= this.maxBytes) break;
      if (oldest === keep) continue;
      this.remove(oldest, entry);
    }
  }
}

function keyBytes(key: string): number {
  return key.length * 2;
}

function tokenSetBytes(set: TokenSet): number {
  let bytes = 0;
  for (const token of set.tokens) {
    bytes += (token.accessToken.length + token.refreshToken.length + token.clientId.length + 64) * 2;
  }
  return bytes;
}
