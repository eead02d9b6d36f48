/** Reads a raw watch stream (newline-delimited JSON) so tests can see exactly what the server sends. */

export interface WatchEventJson {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: watch objects are arbitrary JSON.
  object: any;
}

export interface WatchReader {
  status: number;
  events: WatchEventJson[];
  /** Resolves once at least `count` events have arrived (rejects after a generous timeout). */
  waitFor(count: number): Promise<WatchEventJson[]>;
  ended: Promise<void>;
  close(): void;
}

export async function openWatch(url: string, headers: Record<string, string> = {}): Promise<WatchReader> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal, headers });
  const events: WatchEventJson[] = [];
  const waiters: (() => void)[] = [];
  const ended = (async () => {
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl = buffer.indexOf('\n');
        while (nl !== -1) {
          events.push(JSON.parse(buffer.slice(0, nl)) as WatchEventJson);
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf('\n');
        }
        for (const w of waiters.splice(0)) w();
      }
    } catch (e) {
      if (!controller.signal.aborted) throw e;
    } finally {
      for (const w of waiters.splice(0)) w();
    }
  })();
  let done = false;
  ended.then(() => {
    done = true;
  });
  return {
    status: res.status,
    events,
    ended,
    close: () => controller.abort(),
    waitFor: async (count) => {
      const deadline = Date.now() + 10_000;
      while (events.length < count) {
        if (done)
          throw new Error(
            `stream ended after ${events.length} events, wanted ${count}: ${JSON.stringify(events.map((e) => e.type))}`,
          );
        if (Date.now() > deadline) throw new Error(`timed out with ${events.length} of ${count} events`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return events.slice(0, count);
    },
  };
}
