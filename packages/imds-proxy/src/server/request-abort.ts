/**
 * A request's abort signal, created only when something reads it. Every token request needs to know when its
 * client leaves, but only slow paths (retry sleeps, upstream waits) ever read the signal; an AbortController per
 * request would cost more than the whole cached-token path.
 */
export class RequestAbort {
  private controller: AbortController | undefined;
  private closed = false;

  get disconnected(): boolean {
    return this.closed;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.closed) this.controller.abort(new Error('client disconnected'));
    }
    return this.controller.signal;
  }

  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller?.abort(new Error('client disconnected'));
  }
}
