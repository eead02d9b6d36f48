/**
 * A keep-alive node:http client for tests that send many requests: inside jest's VM, fetch costs several
 * milliseconds per request, node:http a fraction of that.
 */
import { Agent, request } from 'node:http';

export interface RawResponse {
  status: number;
  body: string;
}

export class RawHttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  constructor(private readonly baseUrl: string) {}

  send(method: string, path: string, body?: string, contentType = 'application/json'): Promise<RawResponse> {
    const url = new URL(path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          agent: this.agent,
          headers: body === undefined ? {} : { 'content-type': contentType },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
