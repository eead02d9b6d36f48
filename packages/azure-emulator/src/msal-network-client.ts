import { request } from 'node:https';

interface NetworkRequestOptions {
  headers?: Record<string, string>;
  body?: string;
}

interface NetworkResponse<T> {
  headers: Record<string, string>;
  body: T;
  status: number;
}

/** Structurally msal-node's `INetworkModule` (this package does not depend on msal-node). */
export interface MsalNetworkClient {
  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>>;
  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>>;
}

/**
 * An msal-node `system.networkClient` that trusts the emulator's CA. msal-node uses the global fetch, which
 * only learns extra CAs from `NODE_EXTRA_CA_CERTS` at process start; in-process tests pass this instead.
 */
export function createMsalNetworkClient(caCertPem: string): MsalNetworkClient {
  function send<T>(method: 'GET' | 'POST', url: string, options: NetworkRequestOptions = {}, timeout?: number) {
    return new Promise<NetworkResponse<T>>((resolve, reject) => {
      const req = request(url, { method, headers: options.headers ?? {}, ca: caCertPem, timeout }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          try {
            resolve({ headers, body: (text ? JSON.parse(text) : {}) as T, status: res.statusCode ?? 0 });
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('request timeout')));
      req.on('error', reject);
      if (options.body !== undefined) req.write(options.body);
      req.end();
    });
  }
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
