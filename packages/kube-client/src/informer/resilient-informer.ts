import type { ObjectParseError, ParseResult } from '@podid/crd-types';
import { type Clock, sleep, systemClock } from '../clock.js';
import type { KubeConnection } from '../connection/kube-connection.js';
import { describeError, httpStatusOf, KubeClientError } from '../errors.js';
import {
  buildInvalidObjectReport,
  type InvalidObjectHandler,
  notifyInvalidObject,
  rawObjectIdentity,
} from '../invalid-object.js';
import { type KubeLogger, silentLogger } from '../logger.js';
import { IndexedCache, type IndexFunction } from './indexed-cache.js';
import { ListenerSet } from './listener-set.js';

export type InformerChange<T> =
  | { readonly type: 'add'; readonly object: T }
  | { readonly type: 'update'; readonly object: T; readonly previous: T }
  | { readonly type: 'delete'; readonly object: T };

export interface ResilientInformerOptions<T, I extends string> {
  connection: Pick<KubeConnection, 'watch' | 'getJson'>;
  /** Collection path, e.g. `/api/v1/pods` or `/apis/aadpodidentity.k8s.io/v1/azureassignedidentities`. */
  path: string;
  /** For logs and invalid-object reports. */
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Validates each object; objects that fail are reported and kept out of the cache. */
  parse: (raw: unknown) => ParseResult<T>;
  /**
   * Applied to every valid object before it is cached and delivered (client-go's SetTransform): a consumer that
   * reads few fields keeps only those, so a cache of 100,000 pods does not hold 100,000 full pod specs.
   */
  transform?: (value: T) => T;
  indexes?: Readonly<Record<I, IndexFunction<T>>>;
  onInvalidObject?: InvalidObjectHandler;
  logger?: KubeLogger;
  clock?: Clock;
  /** First retry delay after a failure (default 800 ms, client-go's reflector); doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** A watch that delivered no event but stayed open this long still counts as healthy (default 10 s). */
  healthyWatchMs?: number;
  /** Page size for list calls (default 500; servers that ignore `limit` return everything at once). */
  pageSize?: number;
  /**
   * Re-deliver every cached object as an `update` (previous === object) this often, like client-go's resync
   * period; upstream MIC relies on the 10-minute resync to retry failed work. Off by default.
   */
  resyncIntervalMs?: number;
}

interface WatchOutcome {
  error: unknown;
  gone: boolean;
  events: number;
  startedAt: number;
}

const WATCH_TIMEOUT_ERROR = 'TimeoutError';

/** One listed or watched object, validated and transformed, waiting to be stored (see `prepare`). */
type PreparedObject<T> =
  | { readonly kind: 'unchanged'; readonly key: string }
  | {
      readonly kind: 'invalid';
      readonly key: string;
      readonly version: string;
      readonly raw: unknown;
      readonly error: ObjectParseError;
      readonly source: 'list' | 'watch';
    }
  | { readonly kind: 'valid'; readonly key: string; readonly version: string; readonly value: T };

/**
 * List-then-watch over one collection that keeps itself alive: it reconnects after every kind of failure with
 * exponential backoff, re-lists after `410 Gone`, reconciles the cache against each fresh list (emitting deletes for
 * objects that vanished while disconnected), and stops for good on `stop()`. client-node's own `ListWatch` stops on
 * the first non-410 error and reports its own `stop()` as an error, which is why this loop is ours.
 */
export class ResilientInformer<T, I extends string = never> {
  private readonly options: ResilientInformerOptions<T, I>;
  private readonly cache: IndexedCache<T, I>;
  private readonly logger: KubeLogger;
  private readonly clock: Clock;
  private readonly addListeners: ListenerSet<[T]>;
  private readonly updateListeners: ListenerSet<[T, T]>;
  private readonly deleteListeners: ListenerSet<[T]>;
  private readonly changeListeners: ListenerSet<[InformerChange<T>]>;
  private readonly errorListeners: ListenerSet<[unknown]>;
  /** Versions already reported as invalid, so a relist does not report the same bad object again. */
  private readonly reportedInvalid = new Map<string, string>();
  private readonly stopController = new AbortController();
  private resourceVersion = '';
  private started = false;
  private isSynced = false;
  private loop: Promise<void> | undefined;
  private currentWatch: AbortController | undefined;
  private resyncTimer: ReturnType<Clock['setTimeout']> | undefined;
  private resolveSynced!: () => void;
  private rejectSynced!: (error: Error) => void;
  /** Resolves after the first successful list has been applied; rejects if the informer is stopped before that. */
  readonly synced: Promise<void>;

  constructor(options: ResilientInformerOptions<T, I>) {
    this.options = options;
    this.cache = new IndexedCache<T, I>(options.indexes ?? ({} as Record<I, IndexFunction<T>>));
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    const onListenerError = (error: unknown) =>
      this.logger.error({ kind: options.kind, err: describeError(error) }, 'informer listener threw');
    this.addListeners = new ListenerSet(onListenerError);
    this.updateListeners = new ListenerSet(onListenerError);
    this.deleteListeners = new ListenerSet(onListenerError);
    this.changeListeners = new ListenerSet(onListenerError);
    this.errorListeners = new ListenerSet(onListenerError);
    this.synced = new Promise<void>((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Nobody is obliged to await `synced`; an unobserved rejection must not crash the process.
    this.synced.catch(() => {});
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Starts listing and watching. Idempotent; an informer that was stopped cannot be started again. */
  start(): void {
    if (this.stopped) {
      throw new KubeClientError('INFORMER_STOPPED', `${this.options.kind} informer was stopped; create a new one`);
    }
    if (this.started) return;
    this.started = true;
    this.loop = this.run();
    this.scheduleResync();
  }

  /** Stops watching for good and waits until the loop has exited. Safe to call more than once. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopController.abort();
      this.currentWatch?.abort();
      if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
      if (!this.isSynced) {
        this.rejectSynced(
          new KubeClientError('INFORMER_STOPPED', `${this.options.kind} informer stopped before it synced`),
        );
      }
    }
    await this.loop;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace, name);
  }

  list(): T[] {
    return this.cache.list();
  }

  byIndex(index: I, key: string): T[] {
    return this.cache.byIndex(index, key);
  }

  get size(): number {
    return this.cache.size;
  }

  /** The resourceVersion the next watch resumes from ('' while a relist is pending). */
  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  onAdd(listener: (object: T) => void): () => void {
    return this.addListeners.add(listener);
  }

  onUpdate(listener: (object: T, previous: T) => void): () => void {
    return this.updateListeners.add(listener);
  }

  onDelete(listener: (object: T) => void): () => void {
    return this.deleteListeners.add(listener);
  }

  /** Every add, update and delete, as one tagged event. */
  onChange(listener: (change: InformerChange<T>) => void): () => void {
    return this.changeListeners.add(listener);
  }

  /** Each failed list or watch (the informer keeps retrying on its own; this is for logs and metrics). */
  onError(listener: (error: unknown) => void): () => void {
    return this.errorListeners.add(listener);
  }

  private async run(): Promise<void> {
    const initialBackoff = this.options.initialBackoffMs ?? 800;
    const maxBackoff = this.options.maxBackoffMs ?? 30_000;
    const healthyWatchMs = this.options.healthyWatchMs ?? 10_000;
    let failures = 0;
    while (!this.stopped) {
      let failed = false;
      try {
        if (!this.resourceVersion) await this.relist();
        if (this.stopped) break;
        const outcome = await this.watchOnce();
        if (this.stopped) break;
        const status = httpStatusOf(outcome.error);
        const healthy = outcome.events > 0 || this.clock.now() - outcome.startedAt >= healthyWatchMs;
        if (outcome.gone || status === 410) {
          this.logger.info({ kind: this.options.kind }, 'watch expired (410 Gone); relisting');
          this.resourceVersion = '';
        } else if (isWatchTimeout(outcome.error)) {
          // client-node's inactivity timeout on a quiet collection: resume from the last version at once.
        } else if (outcome.error) {
          failed = true;
          this.reportError(outcome.error, 'watch failed');
        } else if (!healthy) {
          // A server that closes watches immediately would otherwise be hammered in a tight loop.
          failed = true;
        }
        if (healthy && !failed) failures = 0;
      } catch (error) {
        if (this.stopped) break;
        failed = true;
        if (httpStatusOf(error) === 410) this.resourceVersion = '';
        this.reportError(error, 'list failed');
      }
      if (failed) {
        const delay = Math.min(initialBackoff * 2 ** failures, maxBackoff);
        failures += 1;
        await sleep(this.clock, delay, this.stopController.signal);
      }
    }
  }

  private reportError(error: unknown, message: string): void {
    this.logger.warn(
      { kind: this.options.kind, err: describeError(error) },
      `${this.options.kind} ${message}; retrying`,
    );
    this.errorListeners.emit(error);
  }

  /**
   * Lists everything (page by page), then makes the cache equal to the list, emitting the differences. Each page is
   * validated and transformed as it arrives, so only what the cache will keep is held until the list completes,
   * not every raw object of every page (100,000 whole objects before a trimming transform, at MIC's scale).
   */
  private async relist(): Promise<void> {
    const listed = new Set<string>();
    const changed: Array<PreparedObject<T>> = [];
    let continueToken: string | undefined;
    let listVersion = '';
    do {
      const page = (await this.options.connection.getJson(this.options.path, {
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        limit: String(this.options.pageSize ?? 500),
        continue: continueToken,
      })) as { items?: unknown; metadata?: { resourceVersion?: string; continue?: string } };
      if (this.stopped) return;
      if (Array.isArray(page.items)) {
        for (const raw of page.items) {
          const prepared = this.prepare(raw, 'list');
          if (prepared === undefined) continue;
          listed.add(prepared.key);
          if (prepared.kind !== 'unchanged') changed.push(prepared);
        }
      }
      continueToken = page.metadata?.continue || undefined;
      listVersion = page.metadata?.resourceVersion ?? '';
    } while (continueToken);

    for (const key of this.cache.keys()) {
      if (!listed.has(key)) this.remove(key);
    }
    for (const key of this.reportedInvalid.keys()) {
      if (!listed.has(key)) this.reportedInvalid.delete(key);
    }
    for (const prepared of changed) this.commit(prepared);
    this.resourceVersion = listVersion;
    if (!this.isSynced) {
      this.isSynced = true;
      this.logger.debug({ kind: this.options.kind, count: this.cache.size }, 'informer synced');
      this.resolveSynced();
    }
  }

  private watchOnce(): Promise<WatchOutcome> {
    const startedAt = this.clock.now();
    return new Promise<WatchOutcome>((resolve) => {
      let events = 0;
      let gone = false;
      let errorEvent: unknown;
      let settled = false;
      const finish = (error: unknown) => {
        if (settled) return;
        settled = true;
        this.stopController.signal.removeEventListener('abort', onStop);
        this.currentWatch?.abort();
        this.currentWatch = undefined;
        resolve({ error: errorEvent ?? error, gone, events, startedAt });
      };
      const onStop = () => finish(undefined);
      this.stopController.signal.addEventListener('abort', onStop, { once: true });

      const onEvent = (phase: string, object: unknown) => {
        if (settled) return;
        if (phase === 'ERROR') {
          // A Status object inside the stream; the server ends the watch after it. 410 means "relist".
          const status = object as { code?: number; message?: string } | undefined;
          if (status?.code === 410) gone = true;
          else
            errorEvent = new KubeClientError('KUBE_REQUEST_FAILED', `watch error: ${status?.message ?? 'unknown'}`, {
              ...(typeof status?.code === 'number' ? { statusCode: status.code } : {}),
            });
          this.currentWatch?.abort();
          return;
        }
        const version = rawObjectIdentity(object).resourceVersion;
        if (phase === 'ADDED' || phase === 'MODIFIED') {
          this.apply(object, 'watch');
          events += 1;
        } else if (phase === 'DELETED') {
          const identity = rawObjectIdentity(object);
          if (identity.name) {
            const key = IndexedCache.keyOf(identity.namespace, identity.name);
            this.reportedInvalid.delete(key);
            this.remove(key);
          }
          events += 1;
        } else if (phase !== 'BOOKMARK') {
          return;
        }
        if (version) this.resourceVersion = version;
      };

      const query: Record<string, string | undefined> = {
        resourceVersion: this.resourceVersion,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        allowWatchBookmarks: 'true',
      };
      this.options.connection.watch.watch(this.options.path, query, onEvent, finish).then(
        (controller) => {
          if (settled) controller.abort();
          else this.currentWatch = controller;
        },
        (error: unknown) => finish(error),
      );
    });
  }

  /** Validates and stores one object (an invalid one is reported and evicted). */
  private apply(raw: unknown, source: 'list' | 'watch'): void {
    const prepared = this.prepare(raw, source);
    if (prepared !== undefined) this.commit(prepared);
  }

  /**
   * Validates and transforms one object without touching the cache (nothing else writes it while a list runs, so
   * "unchanged" still holds at commit). Undefined for an object without a name.
   */
  private prepare(raw: unknown, source: 'list' | 'watch'): PreparedObject<T> | undefined {
    const identity = rawObjectIdentity(raw);
    if (!identity.name) return undefined;
    const key = IndexedCache.keyOf(identity.namespace, identity.name);
    const version = identity.resourceVersion ?? '';
    const cachedVersion = this.cache.resourceVersionOf(key);
    if (cachedVersion !== undefined && cachedVersion === version && version !== '') return { kind: 'unchanged', key };
    const parsed = this.options.parse(raw);
    if (!parsed.ok) return { kind: 'invalid', key, version, raw, error: parsed.error, source };
    const value = this.options.transform ? this.options.transform(parsed.value) : parsed.value;
    return { kind: 'valid', key, version, value };
  }

  private commit(prepared: PreparedObject<T>): void {
    const { key } = prepared;
    if (prepared.kind === 'unchanged') return;
    if (prepared.kind === 'invalid') {
      const { version, raw, error, source } = prepared;
      if (this.reportedInvalid.get(key) !== version) {
        this.reportedInvalid.set(key, version);
        const report = buildInvalidObjectReport(raw, error, source, this.options);
        this.logger.warn(
          { kind: report.kind, namespace: report.namespace, name: report.name, path: error.path },
          `skipping invalid object: ${error.message}`,
        );
        notifyInvalidObject(this.options.onInvalidObject, report, this.logger);
      }
      // An object that became invalid is no longer usable: drop the old good copy too.
      this.remove(key);
      return;
    }
    this.reportedInvalid.delete(key);
    const previous = this.cache.set(key, prepared.value, prepared.version);
    if (previous === undefined) this.emitAdd(prepared.value);
    else this.emitUpdate(prepared.value, previous);
  }

  private remove(key: string): void {
    const previous = this.cache.delete(key);
    if (previous !== undefined) this.emitDelete(previous);
  }

  private scheduleResync(): void {
    const interval = this.options.resyncIntervalMs;
    if (!interval || this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      if (this.isSynced) for (const object of this.cache.list()) this.emitUpdate(object, object);
      this.scheduleResync();
    }, interval);
  }

  private emitAdd(object: T): void {
    this.addListeners.emit(object);
    this.changeListeners.emit({ type: 'add', object });
  }

  private emitUpdate(object: T, previous: T): void {
    this.updateListeners.emit(object, previous);
    this.changeListeners.emit({ type: 'update', object, previous });
  }

  private emitDelete(object: T): void {
    this.deleteListeners.emit(object);
    this.changeListeners.emit({ type: 'delete', object });
  }
}

function isWatchTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === WATCH_TIMEOUT_ERROR;
}
