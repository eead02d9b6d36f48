// bench/nmi: NMI's cached-token path vs a bare node:http server returning the same body, and a cold-cache burst.
// Run with `npm run bench -- nmi` (builds first). Servers run in a child process; this process only generates load.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { LOAD_POD_ADDRESS, PODS, createBenchNmi, podAddress, startFakeImds } from './servers.mjs';

const execFileAsync = promisify(execFile);

const here = path.dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = 64;
const LOW_CONCURRENCY = 8;
const ROUNDS = 10;
const WINDOW_SECONDS = 3;
const TOKEN_PATH = '/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net';
const HEADERS = { Metadata: 'true' };

const hasCommand = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
/**
 * `wrk` (C, apt package `wrk`) when installed: a Node client saturates its own core before either server does,
 * which hides the servers' difference. It cannot choose a source address, so the load comes from 127.0.0.1, which
 * the bench NMI maps to a pod of its own (LOAD_POD_ADDRESS). `BENCH_NMI_LOAD=undici` forces the Node client.
 */
const USE_WRK = process.env.BENCH_NMI_LOAD !== 'undici' && hasCommand('wrk');
/**
 * With two or more CPUs, the server runs on the last one and the load generator on the first, so neither the
 * scheduler's placement nor each other's bursts move the figures from one window to the next.
 */
const CPUS = os.availableParallelism();
const PIN = CPUS >= 2 && hasCommand('taskset');
const SERVER_CPU = String(CPUS - 1);
const LOAD_CPU = '0';
const pinned = (cpu, command, args) => (PIN ? ['taskset', ['-c', cpu, command, ...args]] : [command, args]);
// Without wrk the load comes from this process: pin it too.
if (PIN && !USE_WRK) spawnSync('taskset', ['-a', '-cp', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });

/** undici's `connect` options do not pass `localAddress` on; a connector does, so NMI sees the pod's IP. */
function connectFrom(localAddress) {
  return (options, callback) => {
    const socket = net.connect({ host: options.hostname, port: Number(options.port), localAddress });
    socket.setNoDelay(true);
    let settled = false;
    const settle = (error) => {
      if (settled) return;
      settled = true;
      callback(error ?? null, error ? undefined : socket);
    };
    socket.once('connect', () => settle());
    socket.once('error', settle);
  };
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill();
});

function startChild(args) {
  const [command, commandArgs] = pinned(SERVER_CPU, process.execPath, [path.join(here, 'servers.mjs'), ...args]);
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n')) resolve({ child, port: JSON.parse(line).port });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The median (the mean of the two middle values for an even count). */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The middle half of the values: [25th, 75th] percentile, nearest rank. */
function interquartileRange(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return [percentile(sorted, 25), percentile(sorted, 75)];
}

/** One timed window of closed-loop keep-alive load from `wrk`: {requests, seconds, errors, p50Ms, p99Ms}. */
async function wrkWindow(port, concurrency, seconds) {
  const [command, args] = pinned(LOAD_CPU, 'wrk', [
    '-t1',
    `-c${concurrency}`,
    `-d${seconds}s`,
    '-s',
    path.join(here, 'wrk-report.lua'),
    `http://127.0.0.1:${port}${TOKEN_PATH}`,
  ]);
  const { stdout } = await execFileAsync(command, args);
  const report = JSON.parse(stdout.trim().split('\n').at(-1));
  return {
    requests: report.requests,
    seconds: report.durationUs / 1e6,
    errors: report.errors,
    p50Ms: report.p50Us / 1000,
    p99Ms: report.p99Us / 1000,
  };
}

/** The same window from an undici client in this process (the fallback without `wrk`). */
async function undiciWindow(port, concurrency, seconds) {
  const pool = new Pool(`http://127.0.0.1:${port}`, {
    connections: concurrency,
    pipelining: 1,
    connect: connectFrom(LOAD_POD_ADDRESS),
  });
  const latencies = [];
  let errors = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const started = process.hrtime.bigint();
      const { statusCode, body } = await pool.request({ path: TOKEN_PATH, method: 'GET', headers: HEADERS });
      await body.text();
      if (statusCode !== 200) errors++;
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  const windowStart = process.hrtime.bigint();
  const workers = Array.from({ length: concurrency }, worker);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  stop = true;
  await Promise.all(workers);
  const elapsed = Number(process.hrtime.bigint() - windowStart) / 1e9;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds: elapsed,
    errors,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

const loadWindow = USE_WRK ? wrkWindow : undiciWindow;

function summarise(windows) {
  const round3 = (value) => Number(value.toFixed(3));
  const rates = windows.map((w) => Math.round(w.requests / w.seconds));
  return {
    requests: windows.reduce((sum, w) => sum + w.requests, 0),
    errors: windows.reduce((sum, w) => sum + w.errors, 0),
    requestsPerSecond: Math.round(median(rates)),
    p50Ms: round3(median(windows.map((w) => w.p50Ms))),
    p99Ms: round3(median(windows.map((w) => w.p99Ms))),
    worstWindowP99Ms: round3(Math.max(...windows.map((w) => w.p99Ms))),
    perWindowRequestsPerSecond: rates,
    ...(windows.every((w) => w.cpuSeconds !== undefined)
      ? { cpuUsPerRequest: round3(median(windows.map((w) => (w.cpuSeconds * 1e6) / w.requests))) }
      : {}),
  };
}

/**
 * CPU seconds (user + system) a server process has used, from /proc (Linux), or undefined. Per request, this is the
 * figure a loaded host disturbs least: other work on the machine stretches a window's wall time, not the server's own
 * CPU time per answer.
 */
function serverCpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * The servers measured in alternating windows, so that load from anything else on the machine falls on all of them
 * alike. Each figure is the median over a server's windows (robust to a window that outside load disturbed); the
 * ratio pairs each NMI window with the bare window right after it.
 */
async function compare(servers, concurrency, rounds) {
  for (const server of servers) await loadWindow(server.port, concurrency, 1); // warm-up: JIT, connections
  const windows = servers.map(() => []);
  for (let round = 0; round < rounds; round++) {
    // Every other round in reverse order, so a slow drift of the machine's speed favours no server.
    const order = servers.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const cpuBefore = serverCpuSeconds(servers[i].pid);
      const window = await loadWindow(servers[i].port, concurrency, WINDOW_SECONDS);
      const cpuAfter = serverCpuSeconds(servers[i].pid);
      if (cpuBefore !== undefined && cpuAfter !== undefined) window.cpuSeconds = cpuAfter - cpuBefore;
      windows[i].push(window);
    }
  }
  const results = servers.map((server, i) => ({ label: server.label, ...summarise(windows[i]) }));
  const bare = results.find((r) => r.label === 'bare node:http');
  for (const result of results) {
    if (result === bare) continue;
    // Each window against the bare server's window of the same round.
    const paired = result.perWindowRequestsPerSecond.map((rate, i) => rate / bare.perWindowRequestsPerSecond[i]);
    result.ratio = Number(median(paired).toFixed(3));
    result.ratioInterquartileRange = interquartileRange(paired).map((r) => Number(r.toFixed(3)));
    result.ratioOfMedians = Number((result.requestsPerSecond / bare.requestsPerSecond).toFixed(3));
    if (result.cpuUsPerRequest !== undefined && bare.cpuUsPerRequest !== undefined) {
      result.cpuRatio = Number((bare.cpuUsPerRequest / result.cpuUsPerRequest).toFixed(3));
    }
  }
  return { concurrency, rounds, windowSeconds: WINDOW_SECONDS, servers: results };
}

/** 10,000 requests from PODS source addresses over 3 resources, cold cache; counts upstream IMDS calls. */
async function burst(tokenCache) {
  const imds = await startFakeImds(2);
  // Upstream's behaviour: no cache and no bound on how many calls start per second (podid's default is IMDS's 20/s).
  const nmi = createBenchNmi(
    imds.url,
    tokenCache ? {} : { tokenCache: false, upstreamConcurrency: { maxPerSecond: 0 } },
  );
  const { port } = await nmi.listen(0, '127.0.0.1');
  const pools = Array.from(
    { length: PODS },
    (_, i) =>
      new Pool(`http://127.0.0.1:${port}`, {
        connections: Math.ceil(CONCURRENCY / PODS),
        connect: connectFrom(podAddress(i)),
      }),
  );
  const resources = ['https://vault.azure.net', 'https://storage.azure.com', 'https://management.azure.com'];
  const total = 10_000;
  let next = 0;
  let ok = 0;
  const statuses = {};
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const pool = pools[i % PODS];
      const resource = resources[Math.floor(i / PODS) % resources.length];
      const { statusCode, body } = await pool.request({
        path: `/metadata/identity/oauth2/token?resource=${encodeURIComponent(resource)}`,
        method: 'GET',
        headers: HEADERS,
      });
      await body.text();
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode === 200) ok++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(pools.map((pool) => pool.close()));
  await nmi.close();
  const upstreamCalls = imds.calls();
  await imds.close();
  return { requests: total, ok, statuses, upstreamTokenCalls: upstreamCalls, seconds: Number(seconds.toFixed(2)) };
}

/** CPU time the hypervisor gave to others (Linux `steal`, seconds over all CPUs); undefined elsewhere. */
function stolenSeconds() {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    return Number(fields[8]) / 100;
  } catch {
    return undefined;
  }
}

async function main() {
  const stolenAtStart = stolenSeconds();
  const nmiProcess = await startChild(['nmi']);
  // Warm the cache and capture the exact body the cached path serves, for the bare server to return.
  const warm = new Pool(`http://127.0.0.1:${nmiProcess.port}`, { connect: connectFrom(LOAD_POD_ADDRESS) });
  const first = await warm.request({ path: TOKEN_PATH, method: 'GET', headers: HEADERS });
  const body = await first.body.text();
  await warm.close();
  if (first.statusCode !== 200) throw new Error(`NMI warm-up answered ${first.statusCode}: ${body}`);
  const deployedProcess = await startChild(['nmi-deployed']);
  const bareProcess = await startChild(['bare', body]);

  const generator = USE_WRK ? 'wrk (1 thread)' : 'undici in Node (wrk not installed: `apt install wrk`)';
  console.log(`cached token path vs bare node:http (same ${body.length}-byte body)`);
  console.log(
    `  load: ${generator}; ${PIN ? `server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : 'no CPU pinning'}; ` +
      `alternating ${WINDOW_SECONDS} s windows, figures are medians over windows`,
  );
  const servers = [
    { label: 'NMI (cached)', port: nmiProcess.port, pid: nmiProcess.child.pid },
    { label: 'bare node:http', port: bareProcess.port, pid: bareProcess.child.pid },
    { label: 'NMI + request log + metrics', port: deployedProcess.port, pid: deployedProcess.child.pid },
  ];
  const busy = await compare(servers, CONCURRENCY, ROUNDS);
  // Latency NMI adds when the machine is not saturated (at 64 in flight, queueing dominates p99 for any server).
  const light = await compare(servers.slice(0, 2), LOW_CONCURRENCY, 3);
  for (const { child } of [nmiProcess, bareProcess, deployedProcess]) child.kill();
  for (const run of [busy, light]) {
    console.log(`  ${run.concurrency} keep-alive connections, ${run.rounds} windows per server:`);
    for (const r of run.servers) {
      console.log(
        `    ${r.label.padEnd(28)} ${String(r.requestsPerSecond).padStart(6)} req/s  p50 ${r.p50Ms} ms  ` +
          `p99 ${r.p99Ms} ms (worst window ${r.worstWindowP99Ms} ms)  errors ${r.errors}` +
          (r.ratio === undefined
            ? ''
            : `  ratio to bare ${r.ratio} (middle half ${r.ratioInterquartileRange.join('–')})`) +
          (r.cpuUsPerRequest === undefined
            ? ''
            : `  server CPU ${r.cpuUsPerRequest} µs/request${r.cpuRatio === undefined ? '' : ` (bare/this ${r.cpuRatio})`}`),
      );
    }
  }
  const nmi = busy.servers[0];
  const met = nmi.ratio >= 0.7 && nmi.p99Ms < 5;
  console.log(
    `  targets at ${CONCURRENCY} connections (imds-proxy's cached path, no request log): ratio >= 0.7 and p99 < 5 ms: ${met ? 'met' : 'NOT met'}`,
  );

  const stolen = stolenAtStart === undefined ? undefined : Number((stolenSeconds() - stolenAtStart).toFixed(1));
  if (stolen !== undefined) {
    console.log(
      `  CPU time stolen by the host during these windows: ${stolen} s (figures from a noisy host vary widely)`,
    );
  }

  const cached = await burst(true);
  const uncached = await burst(false);
  console.log(`burst: 10,000 requests, ${PODS} pods, 3 resources, cold cache, IMDS 2 ms per token`);
  console.log(
    `  token cache on : ${cached.upstreamTokenCalls} upstream token calls (target <= 30), ${cached.ok} OK, ${cached.seconds} s`,
  );
  console.log(
    `  tokenCache:false, no rate bound (upstream behaviour): ${uncached.upstreamTokenCalls} upstream token calls, ${uncached.seconds} s`,
  );

  const results = {
    name: 'nmi',
    date: new Date().toISOString(),
    node: process.version,
    cpus: CPUS,
    loadGenerator: USE_WRK ? 'wrk' : 'undici',
    pinned: PIN,
    concurrency: CONCURRENCY,
    windowSeconds: WINDOW_SECONDS,
    bodyBytes: body.length,
    cachedPath: { busy, light, targetsMet: met, stolenCpuSeconds: stolen },
    burst: { cacheOn: cached, cacheOff: uncached },
  };
  const dir = process.env.BENCH_RESULTS_DIR ?? path.join(here, '..', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'nmi.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results written to ${path.join(dir, 'nmi.json')}`);
}

await main();
