/**
 * Watch: newline-delimited JSON events over a chunked response, replayed from the bounded history when a
 * resourceVersion is given (410 Expired when it is too old), synthetic ADDED events for the current state when it is
 * not, selector transitions sent as ADDED/DELETED, optional BOOKMARKs and timeoutSeconds.
 */
import type { ServerResponse } from 'node:http';
import type { StoredChange } from './object-store.js';
import { apiVersionOf, type KubeObject, type ResourceType } from './resource-types.js';
import type { ObjectPredicate } from './selectors.js';
import { objectJson } from './object-json.js';
import { expired } from './status-errors.js';
import { toTable } from './table-output.js';
import { TypeRegistry } from './type-registry.js';
import type { ResourceService } from './resource-service.js';

export interface WatchRequest {
  rt: ResourceType;
  namespace: string | undefined;
  predicate: ObjectPredicate | undefined;
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
  table: { includeObject: string } | undefined;
}

export interface WatchHubOptions {
  bookmarkIntervalMs: number;
  defaultTimeoutSeconds: number;
  /** A watcher whose unsent output passes this many bytes is dropped, as the real server drops slow watchers. */
  maxBacklogBytes: number;
  now: () => number;
}

interface ActiveWatch {
  close: () => void;
}

export class WatchHub {
  private readonly active = new Set<ActiveWatch>();
  private expireNextCount = 0;
  /** Stored objects never change in place, so their ADDED line can be shared by every watcher that starts at rv 0. */
  private readonly addedLines = new WeakMap<KubeObject, string>();

  constructor(
    private readonly service: ResourceService,
    private readonly options: WatchHubOptions,
  ) {}

  get activeCount(): number {
    return this.active.size;
  }

  /** Ends every open watch stream (clients see the connection end and re-watch). */
  closeAll(): number {
    const n = this.active.size;
    for (const w of [...this.active]) w.close();
    return n;
  }

  /** The next `count` watch requests get an ERROR event with a 410 Expired Status and end. */
  expireNext(count: number): void {
    this.expireNextCount += count;
  }

  serve(req: WatchRequest, res: ServerResponse): void {
    const { rt, predicate } = req;
    const store = this.service.store;
    const storageKey = TypeRegistry.storageKey(rt);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let columnsSent = false;
    const encode = (type: string, object: KubeObject): string => {
      let payload = this.service.present(rt, object);
      if (req.table !== undefined && type !== 'ERROR' && type !== 'BOOKMARK') {
        payload = toTable(rt, [payload], {
          now: this.options.now(),
          includeObject: req.table.includeObject,
          withColumns: !columnsSent,
        });
        columnsSent = true;
      }
      // Stored objects are immutable: their JSON is shared with lists and other watches.
      if (payload === object) return `{"type":${JSON.stringify(type)},"object":${objectJson(object)}}\n`;
      return `${JSON.stringify({ type, object: payload })}\n`;
    };
    const cachedLine = (change: StoredChange, type: string): string => {
      if (req.table !== undefined) return encode(type, change.object);
      const cacheKey = `${type}|${apiVersionOf(rt)}`;
      change.lineCache ??= new Map();
      let line = change.lineCache.get(cacheKey);
      if (line === undefined) {
        line = encode(type, change.object);
        change.lineCache.set(cacheKey, line);
      }
      return line;
    };
    const inScope = (o: KubeObject | undefined): boolean =>
      o !== undefined &&
      (req.namespace === undefined || !rt.namespaced || o['metadata']?.namespace === req.namespace) &&
      (predicate === undefined || predicate(o));
    const lineFor = (change: StoredChange): string | undefined => {
      const now = inScope(change.object);
      if (change.type !== 'MODIFIED') return now ? cachedLine(change, change.type) : undefined;
      const before = inScope(change.previous);
      if (now && before) return cachedLine(change, 'MODIFIED');
      if (now) return cachedLine(change, 'ADDED');
      if (before) {
        // Like the real server: the object that stopped matching is sent as it was, with the new resourceVersion.
        const old = change.previous!;
        return encode('DELETED', { ...old, metadata: { ...old['metadata'], resourceVersion: String(change.rv) } });
      }
      return undefined;
    };

    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    let unsubscribe: () => void = () => {};
    const watch: ActiveWatch = {
      close: () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        for (const t of timers) clearTimeout(t);
        this.active.delete(watch);
        res.end();
      },
    };
    this.active.add(watch);
    res.on('close', watch.close);

    if (this.expireNextCount > 0) {
      this.expireNextCount--;
      const status = expired(req.resourceVersion ?? '0', store.oldestWatchableRevision).status;
      res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      watch.close();
      return;
    }

    const rv = req.resourceVersion;
    let backlog = '';
    if (rv === undefined || rv === '' || rv === '0') {
      const ns = rt.namespaced ? req.namespace : undefined;
      for (const [, obj] of store.iterate(storageKey, ns)) {
        if (predicate !== undefined && !predicate(obj)) continue;
        if (req.table !== undefined || obj['apiVersion'] !== apiVersionOf(rt)) {
          backlog += encode('ADDED', obj);
          continue;
        }
        let line = this.addedLines.get(obj);
        if (line === undefined) {
          line = encode('ADDED', obj);
          this.addedLines.set(obj, line);
        }
        backlog += line;
      }
    } else {
      const from = Number(rv);
      const changes = Number.isInteger(from) ? store.changesSince(storageKey, from) : undefined;
      if (changes === undefined) {
        const status = expired(rv, store.oldestWatchableRevision + 1).status;
        res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
        watch.close();
        return;
      }
      for (const c of changes) backlog += lineFor(c) ?? '';
    }
    if (backlog !== '') res.write(backlog);
    unsubscribe = store.subscribe(storageKey, (change) => {
      const line = lineFor(change);
      if (line === undefined || closed) return;
      res.write(line);
      if (res.writableLength > this.options.maxBacklogBytes) {
        // The client is not reading; drop it (and its buffered output) so it re-watches instead of growing memory.
        watch.close();
        res.destroy();
      }
    });

    if (req.allowBookmarks) {
      const sendBookmark = (): void => {
        if (closed) return;
        const object = {
          kind: rt.kind,
          apiVersion: apiVersionOf(rt),
          metadata: { resourceVersion: String(store.currentRevision) },
        };
        res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
        timers[0] = setTimeout(sendBookmark, this.options.bookmarkIntervalMs);
      };
      timers[0] = setTimeout(sendBookmark, this.options.bookmarkIntervalMs);
    }
    const timeout = req.timeoutSeconds ?? this.options.defaultTimeoutSeconds;
    if (timeout > 0) timers.push(setTimeout(watch.close, timeout * 1000));
  }
}
