// A minimal keep-alive HTTP/1.1 client over net.Socket for bench/nmi-hostile: it writes request targets byte for
// byte (undici and node:http refuse the malformed ones a hostile pod sends) and reads Content-Length or chunked
// answers. One request at a time per client; a connection the server closes is reopened for the next request.
import net from 'node:net';

export class RawHttpClient {
  constructor(port, localAddress) {
    this.port = port;
    this.localAddress = localAddress;
    this.socket = undefined;
    this.buffer = Buffer.alloc(0);
    this.pending = undefined;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: this.port, localAddress: this.localAddress });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.socket = socket;
        this.buffer = Buffer.alloc(0);
        resolve();
      });
      socket.once('error', reject);
      socket.on('data', (chunk) => {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        this.tryComplete();
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        // A server that closes after its answer (e.g. Node's own 400 for a request it could not parse).
        this.tryComplete(true);
      });
      socket.on('error', () => {});
    });
  }

  /** Sends `GET <target>` and resolves with the status code (0 when the connection closed with no answer). */
  async get(target, headers = 'Metadata: true\r\n') {
    if (!this.socket) await this.connect();
    return new Promise((resolve) => {
      this.pending = resolve;
      this.socket.write(`GET ${target} HTTP/1.1\r\nHost: 169.254.169.254\r\n${headers}\r\n`, 'latin1');
    });
  }

  tryComplete(closed = false) {
    if (!this.pending) return;
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd === -1) {
      if (closed) this.finish(0, this.buffer.length);
      return;
    }
    const head = this.buffer.subarray(0, headerEnd).toString('latin1');
    const status = Number(head.slice(9, 12));
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const bodyStart = headerEnd + 4;
    if (lengthMatch) {
      const end = bodyStart + Number(lengthMatch[1]);
      if (this.buffer.length >= end) this.finish(status, end);
      else if (closed) this.finish(status, this.buffer.length);
      return;
    }
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const last = this.buffer.indexOf('0\r\n\r\n', bodyStart);
      if (last !== -1) this.finish(status, last + 5);
      else if (closed) this.finish(status, this.buffer.length);
      return;
    }
    if (closed) this.finish(status, this.buffer.length);
  }

  finish(status, consumed) {
    const resolve = this.pending;
    this.pending = undefined;
    this.buffer = this.buffer.subarray(consumed);
    resolve(status);
  }

  close() {
    this.socket?.destroy();
  }
}
