// bench/nmi-hostile: NMI's memory under hostile input (issue 14). Run with `npm run bench -- nmi-hostile`.
//
// 1. Waiting requests: one labelled pod that MIC never assigns opens 10,000 token requests at once, each on its own
//    connection. Upstream NMI (and podid before the bound) kept every one waiting for the whole retry budget. The
//    figure: NMI's RSS with them open against its idle RSS (target: within 100 MiB), for podid's default bound and,
//    for comparison, with the bound lifted as far as it goes.
// 2. Soak: 1,000,000 requests from 50 pod addresses with random distinct paths and queries (token route with random
//    resources and client IDs, canonical pass-through paths, non-canonical junk). The figure: RSS after the whole run
//    against RSS after its first 100,000 (target: within 10 %), both after a full GC in the NMI process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawHttpClient } from './raw-client.mjs';
import { BOUND_PODS, WAITING_POD_ADDRESS, boundPodAddress } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const WAITING_REQUESTS = Number(process.env.BENCH_WAITING_REQUESTS ?? 10_000);
const SOAK_REQUESTS = Number(process.env.BENCH_SOAK_REQUESTS ?? 1_000_000);
const SOAK_CHECKPOINT = SOAK_REQUESTS / 10;
const CLIENTS_PER_POD = 2;

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function startNmi(extraOptions = {}) {
  const child = spawn(process.execPath, ['--expose-gc', path.join(here, 'server.mjs'), JSON.stringify(extraOptions)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      if (buffered.includes('\n')) resolve({ child, ...JSON.parse(buffered.split('\n')[0]) });
    });
    child.on('exit', (code) => reject(new Error(`NMI exited with ${code}`)));
  });
}

function rssOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Full GC in the NMI process (child.mjs runs gc() on SIGUSR2), then its RSS once it settled. */
async function settledRss(nmi) {
  nmi.child.kill('SIGUSR2');
  await sleep(500);
  return rssOf(nmi.pid).rss;
}

async function waitingRequests(label, extraOptions) {
  const nmi = await startNmi(extraOptions);
  await sleep(300);
  const idle = await settledRss(nmi);
  const statuses = new Map();
  const requests = [];
  let answered = 0;
  for (let i = 0; i < WAITING_REQUESTS; i++) {
    const request = http.request({
      host: '127.0.0.1',
      port: nmi.port,
      path: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net',
      headers: { Metadata: 'true' },
      agent: false,
      localAddress: WAITING_POD_ADDRESS,
    });
    request.on('response', (res) => {
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      answered++;
      res.resume();
    });
    request.on('error', () => {});
    request.end();
    requests.push(request);
    if (i % 500 === 499) await sleep(20); // let the connections establish: a SYN flood is not what is measured
  }
  // Every request has either been answered (429) or is waiting: give the last ones time to arrive.
  await sleep(3000);
  const withRequests = rssOf(nmi.pid).rss;
  const peak = rssOf(nmi.pid).peak;
  for (const request of requests) request.destroy();
  nmi.child.kill('SIGKILL');
  const result = {
    label,
    requests: WAITING_REQUESTS,
    answeredAtOnce: answered,
    stillWaiting: WAITING_REQUESTS - answered,
    statuses: Object.fromEntries(statuses),
    idleRssMiB: round(idle / MiB),
    rssWithRequestsMiB: round(withRequests / MiB),
    peakRssMiB: round(peak / MiB),
    growthMiB: round((withRequests - idle) / MiB),
  };
  console.log(
    `  ${label}: idle ${result.idleRssMiB} MiB, with ${WAITING_REQUESTS} requests ${result.rssWithRequestsMiB} MiB ` +
      `(+${result.growthMiB} MiB); ${result.stillWaiting} waiting, answered at once: ${JSON.stringify(result.statuses)}`,
  );
  return result;
}

/** Deterministic pseudo-random numbers (mulberry32), so every run sends the same corpus. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RESOURCES = Array.from({ length: 30 }, (_, i) => `https://resource-${i}.example/`);
const JUNK = ['%2e%2e', '%252e', '//', '/./', '\\', '%00', '%0a', ';', '..', '%C0%AE', '~', '%5C', '%2F'];

/** A request target a hostile pod might send: every one distinct. */
function hostileTarget(next, serial) {
  const word = () => Math.floor(next() * 36 ** 6).toString(36);
  const pick = next();
  if (pick < 0.4) {
    // Every target distinct (the memo must not grow); 1 in 100 asks for a resource never seen (the token cache must
    // not grow past its bounds either); a few name a client ID the pod does not have.
    const resource = next() < 0.01 ? `https://${word()}.example/${serial}` : RESOURCES[serial % RESOURCES.length];
    const clientId = next() < 0.05 ? `&client_id=${word()}-${serial}` : '';
    return `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${resource}${clientId}&n=${serial}`;
  }
  if (pick < 0.7) return `/metadata/${word()}/${word()}${serial}?api-version=${word()}&x=${serial}`;
  const pieces = Array.from({ length: 2 + Math.floor(next() * 5) }, () =>
    next() < 0.5 ? JUNK[Math.floor(next() * JUNK.length)] : word(),
  );
  return `/metadata/${pieces.join('/')}${serial}?q=${word()}`;
}

async function soak() {
  // The soak measures NMI's memory, not its waits: upstream calls unbounded in rate (the fake IMDS answers in 1 ms;
  // IMDS's 20 per second would leave the token route queueing most of the run), and a client ID the pod does not
  // have is refused after one look (as `--retry-attempts-for-created=1 --retry-attempts-for-assigned=1
  // --find-identity-retry-interval=0`) instead of waiting 100 s for MIC.
  const nmi = await startNmi({
    upstreamConcurrency: { maxConcurrent: 64, maxConcurrentPerCaller: 8, maxPerSecond: 0 },
    retryAttemptsForCreated: 1,
    retryAttemptsForAssigned: 1,
    findIdentityRetryIntervalSeconds: 0,
  });
  await sleep(300);
  const next = random(14);
  const statuses = new Map();
  const clients = [];
  for (let pod = 0; pod < BOUND_PODS; pod++) {
    for (let c = 0; c < CLIENTS_PER_POD; c++) clients.push(new RawHttpClient(nmi.port, boundPodAddress(pod)));
  }
  let sent = 0;
  const checkpoints = [];
  let checkpointing;
  const started = process.hrtime.bigint();
  const worker = async (client) => {
    while (sent < SOAK_REQUESTS) {
      if (checkpointing) await checkpointing;
      const serial = sent++;
      const status = await client.get(hostileTarget(next, serial));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if ((serial + 1) % SOAK_CHECKPOINT === 0 && !checkpointing) {
        checkpointing = (async () => {
          await sleep(200); // in-flight requests finish
          const rss = await settledRss(nmi);
          checkpoints.push({ requests: serial + 1, rssMiB: round(rss / MiB) });
          console.log(`  soak: ${serial + 1} requests, NMI RSS after GC ${round(rss / MiB)} MiB`);
          checkpointing = undefined;
        })();
      }
    }
  };
  await Promise.all(clients.map(worker));
  if (checkpointing) await checkpointing;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const client of clients) client.close();
  nmi.child.kill('SIGKILL');
  const first = checkpoints[0];
  const last = checkpoints.at(-1);
  const result = {
    requests: SOAK_REQUESTS,
    podAddresses: BOUND_PODS,
    seconds: round(seconds),
    requestsPerSecond: Math.round(SOAK_REQUESTS / seconds),
    statuses: Object.fromEntries(statuses),
    checkpoints,
    rssAfterFirstTenthMiB: first?.rssMiB,
    rssAfterAllMiB: last?.rssMiB,
    growthRatio: first && last ? round(last.rssMiB / first.rssMiB) : undefined,
  };
  console.log(
    `  soak: ${SOAK_REQUESTS} requests in ${result.seconds} s; RSS ${result.rssAfterFirstTenthMiB} → ` +
      `${result.rssAfterAllMiB} MiB (×${result.growthRatio}); statuses ${JSON.stringify(result.statuses)}`,
  );
  return result;
}

function round(value) {
  return Number(value.toFixed(2));
}

console.log(`bench/nmi-hostile: ${WAITING_REQUESTS} waiting requests from one pod; ${SOAK_REQUESTS}-request soak`);
const waiting = [
  await waitingRequests('podid defaults (--max-waiting-requests-per-pod=100)', {}),
  await waitingRequests('bound lifted (as upstream: every request waits)', {
    maxWaitingRequestsPerPod: 1_000_000,
    maxWaitingRequests: 1_000_000,
  }),
];
const soakResult = await soak();
const results = { waiting, soak: soakResult, node: process.version, date: new Date().toISOString() };
const dir = process.env.BENCH_RESULTS_DIR ?? path.join(here, '..', 'results');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'nmi-hostile.json'), `${JSON.stringify(results, null, 2)}\n`);
