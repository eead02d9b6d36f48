import type { KubeConnection } from '../connection/kube-connection.js';

type EventCallback = (phase: string, object: unknown) => void;
type DoneCallback = (error: unknown) => void;

/** One open watch as the scripted server sees it. */
export interface ScriptedWatch {
  readonly path: string;
  readonly query: Record<string, string | number | boolean | undefined>;
  send(phase: string, object: unknown): void;
  /** Ends the stream; `error` undefined means a clean close by the server. */
  close(error?: unknown): void;
  readonly aborted: boolean;
}

/**
 * A stand-in for the two connection methods an informer uses, driven step by step from a test, so the informer's
 * retry logic can be checked deterministically. (The integration tests run the same informer against the emulator.)
 */
export class ScriptedConnection implements Pick<KubeConnection, 'watch' | 'getJson'> {
  readonly lists: Array<Record<string, string | undefined>> = [];
  readonly watches: ScriptedWatch[] = [];
  /** Each list call takes the next response; a function may throw to simulate failures. */
  listResponses: Array<() => unknown> = [];

  readonly getJson = async (_path: string, query: Record<string, string | undefined> = {}): Promise<unknown> => {
    this.lists.push(query);
    const next = this.listResponses.shift();
    if (!next) throw Object.assign(new Error('no scripted list response'), { statusCode: 500 });
    return next();
  };

  readonly watch: KubeConnection['watch'] = {
    watch: async (
      path: string,
      query: Record<string, string | number | boolean | undefined>,
      onEvent: EventCallback,
      done: DoneCallback,
    ): Promise<AbortController> => {
      const controller = new AbortController();
      let ended = false;
      const end = (error: unknown) => {
        if (ended) return;
        ended = true;
        done(error);
      };
      controller.signal.addEventListener('abort', () =>
        end(new DOMException('This operation was aborted', 'AbortError')),
      );
      this.watches.push({
        path,
        query,
        send: (phase, object) => {
          if (!ended) onEvent(phase, object);
        },
        close: (error) => end(error ?? null),
        get aborted() {
          return controller.signal.aborted;
        },
      });
      return controller;
    },
  };

  get lastWatch(): ScriptedWatch {
    const watch = this.watches.at(-1);
    if (!watch) throw new Error('no watch opened yet');
    return watch;
  }
}

export function listOf(resourceVersion: string, items: unknown[], continueToken?: string): () => unknown {
  return () => ({ metadata: { resourceVersion, ...(continueToken ? { continue: continueToken } : {}) }, items });
}
