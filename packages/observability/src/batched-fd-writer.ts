import fs from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `bytes`, waiting out a full non-blocking pipe; any other failure drops the batch, never throws. */
function writeFully(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

/**
 * A log destination for a file descriptor (standard error) that costs the hot path no system call: lines are queued
 * and written together, synchronously, once per turn of the event loop (`setImmediate`), so a burst of requests
 * costs one write. Whatever is queued when the process exits — `process.exit` included, which is how NMI's SIGTERM
 * shutdown ends — is written out then, so no line is lost. (pino's asynchronous sonic-boom measured 2.4 µs of CPU a
 * line here against 0.4 µs for this: its writes go through libuv's thread pool.)
 */
export class BatchedFdWriter {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly fd: number) {
    process.on('exit', this.flushSync);
  }

  write(line: string): boolean {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSync);
    }
    return true;
  }

  /** Writes every queued line now. */
  readonly flushSync = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('');
    this.pending = [];
    writeFully(this.fd, Buffer.from(text, 'utf8'));
  };

  /** pino's `logger.flush(callback)` calls this. */
  flush(callback?: (error?: Error) => void): void {
    this.flushSync();
    callback?.();
  }
}
