import type { NodeProcess, Topology } from '@podid/netns-testkit';

/** One request of the loop: a token (with its `appid` claim), another HTTP status, or a connection error code. */
export type LoopResult = (
  | { readonly kind: 'token'; readonly appid: string }
  | { readonly kind: 'status'; readonly status: number; readonly body: string }
  | { readonly kind: 'error'; readonly code: string }
) & {
  /** When the request started (epoch ms) and how long it took. */
  readonly startedAt: number;
  readonly ms: number;
};

/**
 * A workload in a pod namespace asking 169.254.169.254 for a token every `intervalMs`, on a new connection each time
 * (as SDK retries do), until stopped or `maxRequests` were sent. Bounded in count and rate.
 */
export interface TokenLoop {
  results(): LoopResult[];
  /** Stops after the request in flight; resolves with every result. */
  stop(): Promise<LoopResult[]>;
}

const LOOP = `
import http from 'node:http';
const [url, intervalMs, maxRequests] = process.argv.slice(1);
let stopped = false;
process.stdin.on('data', () => { stopped = true; });
const once = () => new Promise((resolve) => {
  const req = http.get(url, { headers: { Metadata: 'true' }, agent: false, timeout: 30000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { body += chunk; });
    res.on('end', () => {
      if (res.statusCode === 200) {
        try {
          const token = JSON.parse(body).access_token;
          const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
          return resolve({ kind: 'token', appid: claims.appid });
        } catch {}
      }
      resolve({ kind: 'status', status: res.statusCode, body: body.slice(0, 200) });
    });
    res.on('error', (error) => resolve({ kind: 'error', code: error.code ?? 'ERROR' }));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  req.on('error', (error) => resolve({ kind: 'error', code: error.code ?? 'ERROR' }));
});
console.log('READY');
for (let sent = 0; sent < Number(maxRequests) && !stopped; sent++) {
  const started = Date.now();
  const result = await once();
  console.log('RESULT ' + JSON.stringify({ ...result, startedAt: started, ms: Date.now() - started }));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(intervalMs) - (Date.now() - started))));
}
console.log('DONE');
`;

export async function startTokenLoop(
  topology: Topology,
  podNs: string,
  options: { readonly url: string; readonly intervalMs: number; readonly maxRequests: number },
): Promise<TokenLoop> {
  const loop: NodeProcess = await topology.spawnNode(podNs, {
    code: LOOP,
    args: [options.url, String(options.intervalMs), String(options.maxRequests)],
    readyPattern: /^READY$/,
  });
  const results = () =>
    loop.lines.filter((line) => line.startsWith('RESULT ')).map((line) => JSON.parse(line.slice(7)) as LoopResult);
  return {
    results,
    stop: async () => {
      loop.writeLine('stop');
      await loop.waitForLine(/^DONE$/, { timeoutMs: 20_000 });
      await loop.kill();
      return results();
    },
  };
}
