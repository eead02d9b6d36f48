import http from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One raw HTTP request, sent from `localAddress` so NMI sees it as coming from that pod IP. The path is written
 * to the wire exactly as given (no normalisation), which path-normalisation tests depend on.
 */
export function httpGet(
  port: number,
  path: string,
  options: { localAddress?: string; headers?: Record<string, string>; method?: string; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export const METADATA = { Metadata: 'true' } as const;

/**
 * The upstream text of an NMI error answer: the `error_description` of the IMDS-shaped JSON body NMI writes by
 * default (checking the JSON content type on the way), or the plain body minus Go's newline under
 * `errorFormat: 'text'`.
 */
export function errorText(answer: HttpAnswer): string {
  if (String(answer.headers['content-type']).startsWith('text/plain')) return answer.body.replace(/\n$/, '');
  if (answer.headers['content-type'] !== 'application/json; charset=utf-8') {
    throw new Error(`not an NMI error answer: ${answer.headers['content-type']} ${answer.body}`);
  }
  const parsed = JSON.parse(answer.body) as { error?: unknown; error_description?: unknown };
  if (typeof parsed.error !== 'string' || typeof parsed.error_description !== 'string') {
    throw new Error(`not an IMDS error body: ${answer.body}`);
  }
  return parsed.error_description;
}
