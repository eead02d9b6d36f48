// Scale benchmark (issue 20): MIC and NMI as child processes against a 5,000-node cluster with 10k, 50k and 100k
// labelled pods (kube-emulator in its own process; azure-emulator here, ARM PATCH latency 1 s). For each size:
//  - the emulator: fill rate, its RSS, a paged list of every pod;
//  - MIC cold: start -> first complete cycle (every pod's AzureAssignedIdentity written) and -> all Assigned;
//    peak RSS, settled RSS, heap after a full GC;
//  - 1 % churn (pods/100 deleted and as many created): last event -> every AzureAssignedIdentity settled, the
//    AzureAssignedIdentity writes and ARM PATCHes it took, MIC CPU time;
//  - MIC warm restart on the settled cluster: start -> first complete (no-op) cycle, RSS;
//  - NMI on one node (250 pods): RSS idle and after 10,000 cached token requests.
// BENCH_SCALE_PREFILL=1 skips the cold phase: the bench itself writes the state a finished cold cycle leaves (every
// pod's AzureAssignedIdentity `Assigned`, every VMSS/VM with its identities in ARM; see prefill.mjs), then starts MIC
// on it and checks that its first cycle writes nothing (no cycle logged, no AzureAssignedIdentity write, no ARM
// PATCH; the run fails otherwise). Churn, warm restarts and NMI then run as without it.
// BENCH_SCALE_NMI=0 skips the NMI phase.
// `node bench/scale/index.mjs 10000 50000` runs only those sizes. Writes ${BENCH_RESULTS_DIR}/scale.json (all sizes
// given run; a run of a subset writes scale-<sizes>.json instead).
import { Agent, request } from 'node:http';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAssignedIdentityInformer, createKubeConfig, createKubeConnection, podKey } from '@podid/kube-client';
import { identitiesByComputeName, prefillAssignedIdentities } from './prefill.mjs';
import { MIC_MAIN, NMI_MAIN, mib, procCpuSeconds, procMemory, startProgram } from './processes.mjs';
import {
  NMI_NODE,
  NMI_NODE_PODS,
  createPod,
  fillWorld,
  forEachConcurrently,
  nmiPodIp,
  podSpec,
  startWorld,
} from './world.mjs';

const PREFILL = process.env.BENCH_SCALE_PREFILL === '1';
const SIZES = process.argv.slice(2).length ? process.argv.slice(2).map(Number) : [10_000, 50_000, 100_000];
const CLIENT_QPS = 2000;
const NMI_REQUESTS = 10_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const loadAverage = () => os.loadavg().map((l) => Math.round(l * 10) / 10);

/**
 * MIC's own Kubernetes write timings (its Prometheus histograms): sum and count of the seconds creates and deletes
 * of AzureAssignedIdentities took, as seen from MIC, queueing behind its event loop included.
 */
async function micWriteTimings(mic) {
  const listening = mic.records.find((r) => r.msg === 'probe and metrics listening');
  if (!listening?.metrics) return undefined;
  const text = await (await fetch(listening.metrics.replace('[::]', '127.0.0.1'))).text();
  const timings = {};
  for (const [, kind, part, value] of text.matchAll(
    /assigned_identity_(addition|deletion)_duration_seconds_(sum|count) ([0-9.e+-]+)/g,
  ))
    timings[`${kind}_${part}`] = Number(value);
  return timings;
}

/** Mean milliseconds per create and per delete between two `micWriteTimings` readings. */
function meanWriteMs(before, after) {
  if (!before || !after) return undefined;
  const mean = (kind) => {
    const count = after[`${kind}_count`] - before[`${kind}_count`];
    return count > 0 ? Math.round(((after[`${kind}_sum`] - before[`${kind}_sum`]) / count) * 1000) : null;
  };
  return { create: mean('addition'), delete: mean('deletion') };
}

function micArgs(world) {
  return [
    `--kubeconfig=${world.kubeconfigPath}`,
    `--cloudconfig=${path.join(world.dir, 'azure.json')}`,
    '--http-probe-port=0',
    '--prometheus-port=0',
    '--log-format=json',
    `--clientQps=${CLIENT_QPS}`,
    // As the sandbox runs it: the emulated ARM finishes an update after 1 s; upstream's fixed 5 s poll would hide
    // everything else this bench measures.
    '--arm-poll-interval=100ms',
    // e.g. BENCH_SCALE_MIC_ARGS=--createDeleteBatch=1 (see BENCHMARKS.md: per-target write concurrency).
    ...(process.env.BENCH_SCALE_MIC_ARGS ? process.env.BENCH_SCALE_MIC_ARGS.split(' ') : []),
  ];
}

function micEnv(world) {
  return {
    MIC_POD_NAMESPACE: 'default',
    AZURE_ENVIRONMENT_FILEPATH: path.join(world.dir, 'environment.json'),
    NODE_EXTRA_CA_CERTS: path.join(world.dir, 'ca.pem'),
  };
}

/** MIC's mic_cycle_count from its metrics endpoint (a cycle that finds nothing to do logs nothing). */
async function cycleCount(metricsUrl) {
  try {
    const text = await (await fetch(metricsUrl)).text();
    return Number(/^\w*mic_cycle_count(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Polls `check` every 100 ms until it holds; resolves with performance.now() of that moment. */
async function until(what, check, timeoutMs = 900_000, program = undefined) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return performance.now();
    if (program && program.child.exitCode !== null)
      throw new Error(
        `the program exited (${program.child.exitCode}) while waiting for ${what}; its last lines:\n${program.records
          .slice(-15)
          .map((r) => JSON.stringify(r))
          .join('\n')}`,
      );
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Samples a process's RSS every 250 ms (VmHWM gives the peak; this gives the curve's end). */
function sampleRss(pid) {
  const samples = [];
  const timer = setInterval(() => {
    try {
      samples.push(procMemory(pid).rss);
    } catch {}
  }, 250);
  return { samples, stop: () => clearInterval(timer) };
}

/** Waits until MIC has logged no completed cycle for `quietMs`. */
async function quiet(mic, quietMs) {
  for (;;) {
    const last = mic.records.findLast((r) => r.msg === 'sync cycle done');
    const since = performance.now() - (last?.at ?? 0);
    if (since >= quietMs) return;
    await sleep(quietMs - since);
  }
}

async function runSize(pods) {
  console.log(`\n-- ${pods.toLocaleString('en-US')} pods (load average ${loadAverage().join(' ')})`);
  const world = await startWorld();
  const result = { pods, loadAverageAtStart: loadAverage() };
  try {
    // 1. fill the emulator, then measure it.
    const fill = await fillWorld(world, pods, PREFILL ? { armIdentities: identitiesByComputeName(pods) } : {});
    result.fill = fill.timings;
    console.log(
      `fill: 5,000 nodes in ${fill.timings.nodesMs} ms, ${pods} pods in ${fill.timings.podsMs} ms (${fill.timings.podsPerSecond} pods/s over HTTP)`,
    );
    const emulatorFilled = await world.emulatorMemory();
    let t0 = performance.now();
    let token = '';
    let pages = 0;
    let listed = 0;
    do {
      const page = JSON.parse(
        await world.kube('GET', `/api/v1/pods?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`),
      );
      listed += page.items.length;
      pages++;
      token = page.metadata.continue ?? '';
    } while (token);
    const pagedListMs = Math.round(performance.now() - t0);
    result.emulator = {
      rssFilledMiB: mib(emulatorFilled.rss),
      heapFilledMiB: mib(emulatorFilled.heapUsed),
      pagedListMs,
      pages,
      listed,
    };
    console.log(
      `emulator: RSS ${result.emulator.rssFilledMiB} MiB filled (heap ${result.emulator.heapFilledMiB} MiB); every pod in ${pages} pages of 500: ${pagedListMs} ms`,
    );

    if (PREFILL) {
      result.prefill = await prefillAssignedIdentities(world, fill.podSpecs);
      console.log(
        `prefill: ${result.prefill.count} AzureAssignedIdentities (Assigned) in ${result.prefill.ms} ms (${result.prefill.perSecond}/s)`,
      );
    }

    // The bench's own view of the AzureAssignedIdentities, through the same informer MIC and NMI use.
    const connection = createKubeConnection({
      kubeConfig: createKubeConfig({ kubeconfigPath: world.kubeconfigPath }),
      userAgent: 'podid-scale-bench',
      qps: -1,
    });
    const assigned = createAssignedIdentityInformer({ connection });
    let assignedWrites = 0;
    assigned.onChange(() => {
      assignedWrites++;
    });
    assigned.start();
    await assigned.synced;
    const isAssigned = (spec) =>
      assigned.byIndex('byPod', podKey(spec.namespace, spec.name)).some((o) => o.status?.status === 'Assigned');
    const allAssigned = (specs) => specs.every(isAssigned);

    // 2. MIC cold (nothing assigned yet), or with BENCH_SCALE_PREFILL a MIC started on the prefilled state.
    const mic = PREFILL
      ? await startOnPrefilled(world, result, () => assignedWrites)
      : await coldStart(world, result, fill, allAssigned);

    // 3. 1 % churn: delete pods/100 existing pods (none on NMI's node) and create as many new ones, concurrently.
    const churn = Math.round(pods / 100);
    const deleted = [];
    for (let i = NMI_NODE_PODS; deleted.length < churn; i += Math.floor((pods - NMI_NODE_PODS) / churn))
      deleted.push(fill.podSpecs[i]);
    const created = Array.from({ length: churn }, (_, i) => podSpec(i, fill.others, 'churn'));
    const patchesBefore = world.azure.admin.patchLog().length;
    const writesBefore = assignedWrites;
    const recordsBefore = mic.records.length;
    const cpuBefore = procCpuSeconds(mic.child.pid);
    const timingsBefore = await micWriteTimings(mic);
    t0 = performance.now();
    await forEachConcurrently(2 * churn, 64, async (k) => {
      const spec = k % 2 === 0 ? deleted[k / 2] : created[(k - 1) / 2];
      if (k % 2 === 0) await world.kube('DELETE', `/api/v1/namespaces/${spec.namespace}/pods/${spec.name}`);
      else await createPod(world.kube, spec);
    });
    const lastEventAt = performance.now();
    // Settled: every new pod Assigned, no AzureAssignedIdentity left for a deleted pod. If that does not happen
    // within 120 s, what is missing is recorded (a finding, not a bench failure).
    const missing = () => ({
      notAssigned: created.filter((spec) => !isAssigned(spec)).length,
      notReleased: deleted.filter((spec) => assigned.byIndex('byPod', podKey(spec.namespace, spec.name)).length > 0)
        .length,
    });
    let churnSettledAt;
    try {
      churnSettledAt = await until(
        'the churn settled',
        () => {
          const m = missing();
          return m.notAssigned === 0 && m.notReleased === 0;
        },
        120_000,
        mic,
      );
    } catch (error) {
      if (mic.child.exitCode !== null) throw error;
      churnSettledAt = undefined;
    }
    if (churnSettledAt !== undefined) await quiet(mic, 2000);
    const churnCycles = mic.records.slice(recordsBefore).filter((r) => r.msg === 'sync cycle done');
    const churnMemory = procMemory(mic.child.pid);
    const timingsAfter = await micWriteTimings(mic);
    result.churn = {
      deleted: churn,
      created: churn,
      eventsSentMs: Math.round(lastEventAt - t0),
      settledAfterLastEventMs: churnSettledAt === undefined ? null : Math.round(churnSettledAt - lastEventAt),
      unsettledAfter120s: churnSettledAt === undefined ? missing() : undefined,
      micWarnings: mic.records
        .slice(recordsBefore)
        .filter((r) => r.level >= 40 && r.msg !== 'event queue full; dropping event')
        .slice(0, 20)
        .map((r) => ({ msg: r.msg, kind: r.kind, err: r.err ?? r.error })),
      assignedIdentityWrites: assignedWrites - writesBefore,
      cycles: churnCycles.length,
      micSummary: churnCycles.reduce(
        (sum, r) => {
          for (const key of Object.keys(sum)) sum[key] += r[key] ?? 0;
          return sum;
        },
        { created: 0, assigned: 0, deleted: 0, updated: 0, armPatches: 0 },
      ),
      armPatches: world.azure.admin.patchLog().length - patchesBefore,
      micCpuSeconds: Math.round((procCpuSeconds(mic.child.pid) - cpuBefore) * 100) / 100,
      micMeanWriteMs: meanWriteMs(timingsBefore, timingsAfter),
      rssAfterMiB: mib(churnMemory.rss),
    };
    console.log(
      `churn ${churn}+${churn}: sent in ${result.churn.eventsSentMs} ms; settled ${result.churn.settledAfterLastEventMs} ms after the last event; ${result.churn.assignedIdentityWrites} AzureAssignedIdentity writes, ${result.churn.armPatches} ARM PATCHes, ${result.churn.cycles} cycles, MIC CPU ${result.churn.micCpuSeconds} s; mean write as MIC saw it ${JSON.stringify(result.churn.micMeanWriteMs)} ms${result.churn.unsettledAfter120s ? `; NOT settled after 120 s: ${JSON.stringify(result.churn.unsettledAfter120s)}; MIC warnings ${JSON.stringify(result.churn.micWarnings)}` : ''}`,
    );

    // 4. MIC warm restart on the settled cluster: start -> first complete cycle (nothing to do).
    await mic.stop();
    // BENCH_SCALE_WARM_VARIANTS="--max-old-space-size=384;MALLOC_ARENA_MAX=2": more warm restarts, each with one
    // extra Node flag (--...) or environment variable (NAME=value).
    const variants = [['default', {}, []]];
    for (const variant of (process.env.BENCH_SCALE_WARM_VARIANTS ?? '').split(';').filter(Boolean)) {
      if (variant.startsWith('--')) variants.push([variant, {}, [variant]]);
      else variants.push([variant, { [variant.split('=')[0]]: variant.split('=').slice(1).join('=') }, []]);
    }
    for (const [variant, env, nodeArgs] of variants) {
      const warm = await warmRestart(world, env, nodeArgs);
      if (variant === 'default') result.micWarm = warm;
      else {
        result.micWarmVariants ??= {};
        result.micWarmVariants[variant] = warm;
      }
      console.log(
        `MIC warm restart (${variant}): leader after ${warm.leaderMs} ms, caches synced after ${warm.cachesSyncedMs} ms, first cycle ${warm.firstCycleMs} ms after start (${warm.cyclesThatWrote} cycles wrote); RSS peak ${warm.peakRssMiB} MiB, settled ${warm.settledRssMiB} MiB, heap after GC ${warm.heapAfterGcMiB} MiB (V8 heap committed ${warm.heapTotalAfterGcMiB} MiB)`,
      );
    }

    // 5. NMI on NMI_NODE (250 pods): default flags (--enableScaleFeatures=true: only this node's
    //    AzureAssignedIdentities), then --enableScaleFeatures=false (every AzureAssignedIdentity in the cluster).
    result.nmi = {};
    for (const [variant, extra] of process.env.BENCH_SCALE_NMI === '0'
      ? []
      : [
          ['default', []],
          ['allAssignedIdentities', ['--enableScaleFeatures=false']],
        ]) {
      result.nmi[variant] = await measureNmi(world, extra);
      const n = result.nmi[variant];
      console.log(
        `NMI (${variant}): RSS idle ${n.idleRssMiB} MiB (after GC ${n.idleRssAfterGcMiB}, heap ${n.idleHeapMiB}); after ${NMI_REQUESTS} requests ${n.afterRssMiB} MiB (after GC ${n.afterRssAfterGcMiB}, heap ${n.afterHeapMiB}); ${n.ok} × 200 in ${n.requestsMs} ms; synced ${n.activeMs} ms after start`,
      );
    }
    await assigned.stop();
    result.loadAverageAtEnd = loadAverage();
    return result;
  } finally {
    await world.close();
  }
}

/** Cold phase: MIC starts with no AzureAssignedIdentity and writes one for every pod; returns the running MIC. */
async function coldStart(world, result, fill, allAssigned) {
  world.azure.admin.resetCounters();
  const t0 = performance.now();
  const mic = startProgram(MIC_MAIN, micArgs(world), micEnv(world));
  const rss = sampleRss(mic.child.pid);
  const firstCycle = await mic.waitFor((r) => r.msg === 'sync cycle done', 900_000, 'the first sync cycle');
  const allAssignedAt = await until('every pod Assigned', () => allAssigned(fill.podSpecs), 900_000, mic);
  await quiet(mic, 3000);
  await sleep(5000);
  const coldMemory = procMemory(mic.child.pid);
  const coldHeap = await mic.memoryAfterGc();
  rss.stop();
  result.micCold = {
    firstCycleMs: Math.round(firstCycle.at - t0),
    firstCycle: { created: firstCycle.created, assigned: firstCycle.assigned, armPatches: firstCycle.armPatches },
    allAssignedMs: Math.round(allAssignedAt - t0),
    cycles: mic.records.filter((r) => r.msg === 'sync cycle done').length,
    armPatches: world.azure.admin.patchLog().length,
    peakRssMiB: mib(coldMemory.peak),
    settledRssMiB: mib(coldMemory.rss),
    heapAfterGcMiB: mib(coldHeap.heapUsed),
    heapTotalAfterGcMiB: mib(coldHeap.heapTotal),
    externalAfterGcMiB: mib(coldHeap.external),
    rssAfterGcMiB: mib(coldHeap.rss),
    cpuSeconds: procCpuSeconds(mic.child.pid),
  };
  console.log(
    `MIC cold: first cycle done ${result.micCold.firstCycleMs} ms after start (${firstCycle.created} created), all Assigned at ${result.micCold.allAssignedMs} ms; ${result.micCold.armPatches} ARM PATCHes; RSS peak ${result.micCold.peakRssMiB} MiB, settled ${result.micCold.settledRssMiB} MiB, heap after GC ${result.micCold.heapAfterGcMiB} MiB; CPU ${result.micCold.cpuSeconds} s`,
  );
  return mic;
}

/**
 * Prefilled start: MIC on the state prefill.mjs wrote. Its first cycle must find nothing to do: no cycle logged
 * (a no-op cycle logs nothing), no AzureAssignedIdentity written, no ARM PATCH. Returns the running MIC.
 */
async function startOnPrefilled(world, result, assignedWrites) {
  world.azure.admin.resetCounters();
  const writesBefore = assignedWrites();
  const t0 = performance.now();
  const mic = startProgram(MIC_MAIN, micArgs(world), micEnv(world));
  const listening = await mic.waitFor((r) => r.msg === 'probe and metrics listening', 60_000, 'metrics');
  const firstCycleAt = await until(
    'the first cycle on the prefilled state',
    async () => (await cycleCount(listening.metrics)) >= 1,
    900_000,
    mic,
  );
  // As a warm restart is measured: 5 s after the first cycle, then a full GC.
  await sleep(5000);
  const memory = procMemory(mic.child.pid);
  const heap = await mic.memoryAfterGc();
  result.micPrefilledStart = {
    firstCycleMs: Math.round(firstCycleAt - t0),
    cachesSyncedMs: Math.round((mic.records.find((r) => r.msg.startsWith('caches synced'))?.at ?? t0) - t0),
    cyclesThatWrote: mic.records.filter((r) => r.msg === 'sync cycle done').length,
    assignedIdentityWrites: assignedWrites() - writesBefore,
    armPatches: world.azure.admin.patchLog().length,
    peakRssMiB: mib(memory.peak),
    settledRssMiB: mib(memory.rss),
    heapAfterGcMiB: mib(heap.heapUsed),
    heapTotalAfterGcMiB: mib(heap.heapTotal),
    rssAfterGcMiB: mib(heap.rss),
  };
  console.log(
    `MIC on the prefilled state: first cycle ${result.micPrefilledStart.firstCycleMs} ms after start; ${result.micPrefilledStart.cyclesThatWrote} cycles wrote, ${result.micPrefilledStart.assignedIdentityWrites} AzureAssignedIdentity writes, ${result.micPrefilledStart.armPatches} ARM PATCHes; RSS peak ${result.micPrefilledStart.peakRssMiB} MiB, settled ${result.micPrefilledStart.settledRssMiB} MiB, heap after GC ${result.micPrefilledStart.heapAfterGcMiB} MiB (V8 heap committed ${result.micPrefilledStart.heapTotalAfterGcMiB} MiB)`,
  );
  const { cyclesThatWrote, assignedIdentityWrites, armPatches } = result.micPrefilledStart;
  if (cyclesThatWrote !== 0 || assignedIdentityWrites !== 0 || armPatches !== 0) {
    await mic.stop();
    throw new Error(
      `the prefilled state is not what MIC would have written: its first cycle made ${assignedIdentityWrites} writes and ${armPatches} ARM PATCHes; its last lines:\n${mic.records
        .slice(-15)
        .map((r) => JSON.stringify(r))
        .join('\n')}`,
    );
  }
  return mic;
}

async function warmRestart(world, env, nodeArgs) {
  const t0 = performance.now();
  const mic = startProgram(MIC_MAIN, micArgs(world), { ...micEnv(world), ...env }, nodeArgs);
  try {
    const listening = await mic.waitFor((r) => r.msg === 'probe and metrics listening', 60_000, 'metrics');
    const warmCycleAt = await until(
      'the warm first cycle',
      async () => (await cycleCount(listening.metrics)) >= 1,
      900_000,
      mic,
    );
    await sleep(5000);
    const cpuSeconds = procCpuSeconds(mic.child.pid);
    const memory = procMemory(mic.child.pid);
    const heap = await mic.memoryAfterGc();
    return {
      firstCycleMs: Math.round(warmCycleAt - t0),
      leaderMs: Math.round((mic.records.find((r) => r.msg === 'became leader')?.at ?? t0) - t0),
      cachesSyncedMs: Math.round((mic.records.find((r) => r.msg.startsWith('caches synced'))?.at ?? t0) - t0),
      cpuSecondsAfter5s: cpuSeconds,
      cyclesThatWrote: mic.records.filter((r) => r.msg === 'sync cycle done').length,
      peakRssMiB: mib(memory.peak),
      settledRssMiB: mib(memory.rss),
      heapAfterGcMiB: mib(heap.heapUsed),
      heapTotalAfterGcMiB: mib(heap.heapTotal),
      externalAfterGcMiB: mib(heap.external),
      rssAfterGcMiB: mib(heap.rss),
    };
  } finally {
    await mic.stop();
  }
}

async function measureNmi(world, extraArgs) {
  const t0 = performance.now();
  const nmi = startProgram(
    NMI_MAIN,
    [
      `--node=${NMI_NODE}`,
      '--nmi-listen-address=127.0.0.1',
      '--nmi-port=0',
      '--http-probe-port=0',
      '--prometheus-port=0',
      '--manage-iptables=false',
      `--imds-endpoint=${world.nmiImdsUrl}`,
      `--kubelet-config=${path.join(world.dir, 'kubelet')}`,
      '--log-format=json',
      ...extraArgs,
    ],
    { KUBECONFIG: world.kubeconfigPath, NODE_EXTRA_CA_CERTS: path.join(world.dir, 'ca.pem') },
  );
  try {
    const listening = await nmi.waitFor((r) => r.msg === 'token server listening', 300_000, 'NMI listening');
    await nmi.waitFor((r) => r.msg === 'NMI is active', 300_000, 'NMI active');
    const activeMs = Math.round(performance.now() - t0);
    await sleep(3000);
    const idle = procMemory(nmi.child.pid);
    const idleGc = await nmi.memoryAfterGc();
    const agents = new Map();
    let ok = 0;
    let resets = 0;
    const statuses = {};
    const started = performance.now();
    await forEachConcurrently(NMI_REQUESTS, 32, async (k) => {
      const ip = nmiPodIp(k % NMI_NODE_PODS);
      let agent = agents.get(ip);
      if (!agent) {
        agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: ip });
        agents.set(ip, agent);
      }
      // A keep-alive connection the server has just closed fails once; that is the client's race, not NMI's answer.
      const ask = () =>
        new Promise((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: listening.port,
              path: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net',
              headers: { Metadata: 'true' },
              agent,
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode));
            },
          );
          req.on('error', reject);
          req.end();
        });
      let status;
      for (let attempt = 1; status === undefined; attempt++) {
        try {
          status = await ask();
        } catch (error) {
          resets++;
          if (attempt === 3) throw error;
        }
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 200) ok++;
    });
    const requestsMs = Math.round(performance.now() - started);
    for (const agent of agents.values()) agent.destroy();
    const after = procMemory(nmi.child.pid);
    const afterGc = await nmi.memoryAfterGc();
    return {
      activeMs,
      idleRssMiB: mib(idle.rss),
      idleRssAfterGcMiB: mib(idleGc.rss),
      idleHeapMiB: mib(idleGc.heapUsed),
      afterRssMiB: mib(after.rss),
      afterRssAfterGcMiB: mib(afterGc.rss),
      afterHeapMiB: mib(afterGc.heapUsed),
      peakRssMiB: mib(after.peak),
      requestsMs,
      ok,
      statuses,
      connectionResets: resets,
    };
  } finally {
    await nmi.stop();
  }
}

const results = [];
const dir = process.env.BENCH_RESULTS_DIR ?? path.join(import.meta.dirname, '..', 'results');
mkdirSync(dir, { recursive: true });
const full = process.argv.slice(2).length === 0;
const file = path.join(dir, full ? 'scale.json' : `scale-${SIZES.join('-')}.json`);
const memTotal = Math.round(
  Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024 / 1024,
);
// Written after every size, so a long run keeps what it measured.
for (const pods of SIZES) {
  results.push(await runSize(pods));
  writeFileSync(
    file,
    `${JSON.stringify({ node: process.version, cpus: os.cpus().length, memTotalGiB: memTotal, sizes: results }, null, 2)}\n`,
  );
}
console.log(`\nwrote ${file}`);
