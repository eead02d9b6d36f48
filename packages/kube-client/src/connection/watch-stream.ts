import type { Agent } from 'node:http';
import { KubeClientError } from '../errors.js';
import { startRequest } from './http-request.js';

export type WatchEventHandler = (type: string, object: unknown) => void;
/** `null`/undefined: the server ended the stream; otherwise why it ended (abort, timeout, HTTP status, socket). */
export type WatchDone = (error: unknown) => void;

export interface WatchStreamOptions {
  url: URL;
  agent: Agent;
  headers: Record<string, string>;
  inactivityTimeoutMs: number;
  onEvent: WatchEventHandler;
  done: WatchDone;
}

/**
 * A Kubernetes watch: one GET whose answer is a stream of JSON lines `{"type","object"}`. `done` is called exactly
 * once. A stream silent for `inactivityTimeoutMs` ends with a `TimeoutError` (the caller resumes from its last
 * resourceVersion); aborting the returned controller destroys the socket, so a stopped watch leaves nothing open.
 */
export function openWatch(options: WatchStreamOptions): AbortController {
  const controller = new AbortController();
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = (error: unknown) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    controller.abort();
    options.done(error);
  };
  const resetTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      finish(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, options.inactivityTimeoutMs);
    timer.unref();
  };
  resetTimer();

  const request = startRequest(
    { method: 'GET', url: options.url, agent: options.agent, headers: options.headers },
    (response) => {
      response.setEncoding('utf8');
      response.on('error', finish);
      response.on('aborted', () => finish(new Error('the API server closed the watch mid-stream')));
      if (response.statusCode !== 200) {
        let body = '';
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          finish(
            new KubeClientError(
              'KUBE_REQUEST_FAILED',
              `watch ${options.url.pathname} failed with HTTP ${response.statusCode}`,
              { statusCode: response.statusCode ?? 0, body },
            ),
          ),
        );
        return;
      }
      let pending = '';
      response.on('data', (chunk: string) => {
        resetTimer();
        pending += chunk;
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line !== '') deliver(line);
          if (finished) return;
          newline = pending.indexOf('\n');
        }
      });
      response.on('end', () => {
        if (pending.trim() !== '') deliver(pending.trim());
        finish(null);
      });
    },
  );
  request.on('error', finish);
  // Aborting (by the caller, or by `finish`) destroys the socket: a stopped watch keeps nothing open.
  controller.signal.addEventListener(
    'abort',
    () => {
      request.destroy();
      finish(new DOMException('This operation was aborted', 'AbortError'));
    },
    { once: true },
  );

  function deliver(line: string): void {
    let event: { type?: unknown; object?: unknown };
    try {
      event = JSON.parse(line) as { type?: unknown; object?: unknown };
    } catch {
      return; // as client-node: a line that is not JSON is skipped
    }
    if (typeof event.type === 'string') options.onEvent(event.type, event.object);
  }
  return controller;
}
