// Servers under test for bench/nmi, run in a child process so the load generator does not share their event loop.
// `node servers.mjs nmi` starts NMI (built @podid/imds-proxy) with in-memory lookups and a local fake IMDS;
// `node servers.mjs nmi-deployed` adds what apps/nmi binds to it (request log, metrics);
// `node servers.mjs bare` starts a bare node:http server that answers every request with the same token body.
// Each prints one JSON line {port, body?} on stdout, then serves until killed.
import fs from 'node:fs';
import http from 'node:http';
import { createNmiServer } from '@podid/imds-proxy';

export const PODS = 10;
export const podAddress = (index) => `127.0.0.${10 + index}`;
/** A pod of its own for the cached-path load generator: `wrk` cannot pick a source address, so it is 127.0.0.1. */
export const LOAD_POD_ADDRESS = '127.0.0.1';
export const clientIdOf = (index) => `${String(index).padStart(8, '0')}-1111-2222-3333-444444444444`;

/** A fake IMDS: `latencyMs` per token, counts calls. */
export async function startFakeImds(latencyMs) {
  let calls = 0;
  const server = http.createServer((req, res) => {
    calls++;
    const url = new URL(req.url, 'http://imds');
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      access_token: `token-for-${url.searchParams.get('client_id')}-${url.searchParams.get('resource')}-${'x'.repeat(1200)}`,
      refresh_token: '',
      expires_in: '86399',
      expires_on: String(now + 86399),
      not_before: String(now - 300),
      resource: url.searchParams.get('resource'),
      token_type: 'Bearer',
      client_id: url.searchParams.get('client_id'),
    });
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    }, latencyMs);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    calls: () => calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** NMI with PODS pods and the load generator's pod, each bound (Assigned) to its own user-assigned identity. */
export function createBenchNmi(imdsUrl, extra = {}) {
  const pods = [];
  const assigned = [];
  for (let i = 0; i <= PODS; i++) {
    const pod = {
      metadata: { name: i === PODS ? 'load-generator' : `pod-${i}`, namespace: 'bench' },
      status: { podIP: i === PODS ? LOAD_POD_ADDRESS : podAddress(i), phase: 'Running' },
    };
    pods.push(pod);
    assigned.push({
      metadata: { name: `pod-${i}-bench-id-${i}`, namespace: 'default' },
      spec: {
        pod: pod.metadata.name,
        podNamespace: 'bench',
        azureIdentityRef: {
          metadata: { name: `id-${i}`, namespace: 'bench' },
          spec: { type: 0, clientID: clientIdOf(i) },
        },
      },
      status: { status: 'Assigned' },
    });
  }
  const byIp = new Map(pods.map((pod) => [pod.status.podIP, [pod]]));
  return createNmiServer({
    pods: { podsByIp: (ip) => byIp.get(ip) ?? [], podByName: () => undefined },
    exceptions: { exceptionsInNamespace: () => [] },
    identities: {
      mode: 'standard',
      assignedIdentitiesForPod: (ns, name) => assigned.filter((a) => a.spec.pod === name && a.spec.podNamespace === ns),
    },
    secrets: { secretData: async () => ({}) },
    imdsBaseUrl: imdsUrl,
    ...extra,
  });
}

/**
 * What apps/nmi adds to every answer: the request log line (klog text, info level, as upstream logs each request)
 * and the upstream metrics. Lines go to /dev/null the way apps/nmi writes standard error: through the logger's
 * asynchronous file-descriptor destination (batched writes, flushed at exit), so the figure holds NMI's cost, not a
 * disk's.
 */
async function asDeployed() {
  const { createLogger, createPodIdentityMetrics } = await import('@podid/observability');
  const { bindNmiMetrics, createRequestLogger } = await import('@podid/nmi');
  const fd = fs.openSync('/dev/null', 'w');
  const logger = createLogger({ component: 'NMI', format: 'text', destination: { fd } });
  return { onRequest: createRequestLogger(logger), metrics: bindNmiMetrics(createPodIdentityMetrics()) };
}

async function main(mode) {
  if (mode === 'nmi' || mode === 'nmi-deployed') {
    const imds = await startFakeImds(0);
    const nmi = createBenchNmi(imds.url, mode === 'nmi-deployed' ? await asDeployed() : {});
    const { port } = await nmi.listen(0, '127.0.0.1');
    process.stdout.write(`${JSON.stringify({ port })}\n`);
    return;
  }
  const body = process.argv[3];
  const server = http.createServer({ keepAlive: true }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await main(process.argv[2]);
}
