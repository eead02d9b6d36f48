import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Marks everything a request's handling starts (callbacks, timers, stream events) as belonging to request handling,
 * so a process-level last resort can tell an error raised there — which costs one request — from an error in the
 * agent itself, which must still stop the process. The try/catch around each handler covers synchronous throws;
 * this covers what escapes asynchronously (an `error` event nobody listened to, a throw in a timer).
 */
const requestScope = new AsyncLocalStorage<true>();

export function runInRequestScope(handler: () => void): void {
  requestScope.run(true, handler);
}

/** True while the code running now (e.g. an `uncaughtException` listener) was started by request handling. */
export function isInRequestScope(): boolean {
  return requestScope.getStore() === true;
}
