// kube-emulator benchmark: 50,000 pods created over HTTP, then listed (whole and paginated), then watched by 10
// watchers from resourceVersion 0 (each receives 50,000 synthetic ADDED events), then 1,000 live updates fanned out
// to the 10 watchers. Reports rates, times and the process RSS; writes ${BENCH_RESULTS_DIR}/kube-emulator.json.
// The emulator runs in this process, so RSS includes the (small) load generator.
import { writeFileSync, mkdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { startKubeEmulator } from '@podid/kube-emulator';

// `node bench/kube-emulator/index.mjs 5000` runs a smaller pass.
const POD_COUNT = Number(process.argv[2] ?? 50_000);
const WATCHERS = 10;
const CONCURRENCY = 32;
const LIVE_UPDATES = 1_000;

const mib = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const rss = () => {
  globalThis.gc?.();
  return mib(process.memoryUsage().rss);
};

const emulator = await startKubeEmulator({ historySize: 100_000 });
const url = new URL(emulator.url);
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(method, path, body, contentType = 'application/json') {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, agent, headers: body ? { 'content-type': contentType } : {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function podBody(i) {
  return JSON.stringify({
    metadata: {
      name: `pod-${String(i).padStart(6, '0')}`,
      labels: { app: `app-${i % 100}`, aadpodidbinding: `b-${i % 10}` },
    },
    spec: {
      nodeName: `node-${i % 200}`,
      containers: [{ name: 'app', image: 'registry.example/app:1', env: [{ name: 'I', value: String(i) }] }],
    },
  });
}

const rssStart = rss();
await send('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'bench' } }));

// 1. create
let next = 0;
let t0 = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < POD_COUNT) {
      const i = next++;
      const res = await send('POST', '/api/v1/namespaces/bench/pods', podBody(i));
      if (res.status !== 201) throw new Error(`create ${i} answered ${res.status}`);
    }
  }),
);
const createSeconds = (performance.now() - t0) / 1000;
const rssAfterCreate = rss();

// 2. list: everything in one response, then pages of 500, then a selective list
t0 = performance.now();
const full = await send('GET', '/api/v1/namespaces/bench/pods');
const fullListMs = performance.now() - t0;
const fullItems = JSON.parse(full.body.toString()).items.length;

t0 = performance.now();
let pages = 0;
let paged = 0;
let token = '';
do {
  const res = await send(
    'GET',
    `/api/v1/namespaces/bench/pods?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
  );
  const page = JSON.parse(res.body.toString());
  paged += page.items.length;
  pages++;
  token = page.metadata.continue ?? '';
} while (token);
const pagedListMs = performance.now() - t0;

t0 = performance.now();
const selective = await send(
  'GET',
  '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-7&labelSelector=aadpodidbinding%3Db-7',
);
const selectiveListMs = performance.now() - t0;
const selectiveItems = JSON.parse(selective.body.toString()).items.length;
const rssAfterList = rss();

// 3. ten watchers from resourceVersion 0: each gets every pod as ADDED, then live updates
const watchAgent = new Agent({ keepAlive: false });
function openWatcher(onLine) {
  return new Promise((resolve) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/api/v1/namespaces/bench/pods?watch=true&resourceVersion=0',
        agent: watchAgent,
      },
      (res) => {
        res.on('data', (chunk) => {
          let n = 0;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
          if (n > 0) onLine(n);
        });
        resolve(req);
      },
    );
    req.end();
  });
}
const counts = new Array(WATCHERS).fill(0);
let wantedPerWatcher = POD_COUNT;
let resolveAll;
let allDone = new Promise((r) => {
  resolveAll = r;
});
const check = () => {
  if (counts.every((c) => c >= wantedPerWatcher)) resolveAll();
};
t0 = performance.now();
const watchers = await Promise.all(
  counts.map((_, w) =>
    openWatcher((n) => {
      counts[w] += n;
      check();
    }),
  ),
);
await allDone;
const initialWatchMs = performance.now() - t0;
const rssWithWatchers = rss();

wantedPerWatcher = POD_COUNT + LIVE_UPDATES;
allDone = new Promise((r) => {
  resolveAll = r;
});
t0 = performance.now();
next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < LIVE_UPDATES) {
      const i = next++;
      const res = await send(
        'PATCH',
        `/api/v1/namespaces/bench/pods/pod-${String(i).padStart(6, '0')}`,
        JSON.stringify({ metadata: { labels: { touched: 'yes' } } }),
        'application/merge-patch+json',
      );
      if (res.status !== 200) throw new Error(`patch ${i} answered ${res.status}`);
    }
  }),
);
await allDone;
const liveFanoutMs = performance.now() - t0;

for (const w of watchers) w.destroy();
agent.destroy();
watchAgent.destroy();
await emulator.close();

const results = {
  pods: POD_COUNT,
  watchers: WATCHERS,
  createConcurrency: CONCURRENCY,
  createSeconds: Math.round(createSeconds * 100) / 100,
  createsPerSecond: Math.round(POD_COUNT / createSeconds),
  fullListMs: Math.round(fullListMs),
  fullListItems: fullItems,
  fullListMiB: mib(full.body.length),
  pagedListMs: Math.round(pagedListMs),
  pagedListPages: pages,
  pagedListItems: paged,
  selectiveListMs: Math.round(selectiveListMs * 10) / 10,
  selectiveListItems: selectiveItems,
  initialWatchMs: Math.round(initialWatchMs),
  initialWatchEventsDelivered: POD_COUNT * WATCHERS,
  liveUpdates: LIVE_UPDATES,
  liveFanoutMs: Math.round(liveFanoutMs),
  liveEventsPerSecond: Math.round((LIVE_UPDATES * WATCHERS) / (liveFanoutMs / 1000)),
  rssMiB: { start: rssStart, afterCreate: rssAfterCreate, afterList: rssAfterList, withWatchers: rssWithWatchers },
  node: process.version,
};

console.log(`kube-emulator: ${POD_COUNT} pods`);
console.log(
  `  create        ${results.createsPerSecond} pods/s (${results.createSeconds} s, ${CONCURRENCY} concurrent)`,
);
console.log(`  list all      ${results.fullListMs} ms (${fullItems} items, ${results.fullListMiB} MiB)`);
console.log(`  list paged    ${results.pagedListMs} ms (${pages} pages of 500)`);
console.log(
  `  list selected ${results.selectiveListMs} ms (${selectiveItems} items, field+label selector over all namespaces)`,
);
console.log(`  watch x${WATCHERS}     ${results.initialWatchMs} ms for ${POD_COUNT} ADDED events to each watcher`);
console.log(
  `  live fan-out  ${LIVE_UPDATES} updates to ${WATCHERS} watchers in ${results.liveFanoutMs} ms (${results.liveEventsPerSecond} events/s)`,
);
console.log(
  `  RSS MiB       start ${rssStart}, after create ${rssAfterCreate}, after list ${rssAfterList}, with watchers ${rssWithWatchers}`,
);

const dir = process.env.BENCH_RESULTS_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kube-emulator.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  wrote ${join(dir, 'kube-emulator.json')}`);
}
