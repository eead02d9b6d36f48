/**
 * Callbacks of one kind. A listener that throws is reported through `onListenerError` and skipped: one buggy consumer
 * must not stop the others or the informer that calls them.
 */
export class ListenerSet<A extends unknown[]> {
  private readonly listeners: Array<(...args: A) => void> = [];

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  /** Registers a listener; returns the function that unregisters it. */
  add(listener: (...args: A) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  emit(...args: A): void {
    // A copy: listeners may unsubscribe while being called.
    for (const listener of [...this.listeners]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
