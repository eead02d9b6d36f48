// Benchmark: one MIC sync cycle as pure computation — matchAssignments (pods × bindings × identities) followed by
// planCycle (desired vs current → per-VM/VMSS plan), then planArmPatch per changed target to count PATCH bodies.
// Cluster: 1k identities + 1k bindings, 500 nodes (450 in 20 VMSS, 50 plain VMs), 1k / 10k / 50k pods.
// Two cycle shapes per size:
//   cold   — nothing assigned yet (first cycle after install: every pod is a create);
//   steady — everything assigned, then 1% of pods deleted and 1% new (the usual cycle).
// Each size runs in its own child process so peak RSS is per size. Imports the BUILT packages (dist).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZES = [1_000, 10_000, 50_000];
const IDENTITIES = 1_000;
const VMSS_COUNT = 20;
const VMSS_NODES = 450;
const VM_COUNT = 50;
const SUB = '00000000-0000-0000-0000-000000000001';
const RG = 'mc_bench';

if (process.argv[2] === '--size') {
  const result = await runSize(Number(process.argv[3]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  main();
}

function main() {
  const self = fileURLToPath(import.meta.url);
  const results = [];
  for (const pods of SIZES) {
    const child = spawnSync(process.execPath, ['--expose-gc', self, '--size', String(pods)], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    if (child.status !== 0) {
      process.stderr.write(child.stderr);
      process.exit(1);
    }
    results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
  }
  const byPods = Object.fromEntries(results.map((r) => [r.pods, r]));
  const ratio = (shape, field = 'totalMedianMs') => byPods[50_000][shape][field] / byPods[10_000][shape][field];
  const summary = {
    benchmark: 'reconciler',
    node: process.version,
    cluster: {
      identities: IDENTITIES,
      bindings: IDENTITIES,
      vmssCount: VMSS_COUNT,
      vmssNodes: VMSS_NODES,
      vms: VM_COUNT,
    },
    results,
    scaling50kOver10k: {
      wall: { cold: round(ratio('cold')), steady: round(ratio('steady')) },
      cpu: { cold: round(ratio('cold', 'totalCpuMedianMs')), steady: round(ratio('steady', 'totalCpuMedianMs')) },
      planOnlyCpu: { cold: round(ratio('cold', 'planCpuMedianMs')), steady: round(ratio('steady', 'planCpuMedianMs')) },
    },
  };
  const dir = process.env.BENCH_RESULTS_DIR ?? path.join(path.dirname(self), '..', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'reconciler.json'), `${JSON.stringify(summary, null, 2)}\n`);

  console.log(
    'wall-clock medians in ms (CPU-time medians in brackets); PATCH bodies from planArmPatch per changed target',
  );
  console.log(
    'pods    shape   match            plan             total            targets bodies max/target  >1 body (of which >150 entries)  peak RSS MiB',
  );
  for (const r of results) {
    for (const shape of ['cold', 'steady']) {
      const s = r[shape];
      const pair = (wall, cpu) => `${wall.toFixed(1)} (${cpu.toFixed(1)})`.padEnd(16);
      console.log(
        [
          String(r.pods).padEnd(7),
          shape.padEnd(7),
          pair(s.matchMedianMs, s.matchCpuMedianMs),
          pair(s.planMedianMs, s.planCpuMedianMs),
          pair(s.totalMedianMs, s.totalCpuMedianMs),
          String(s.patch.targets).padStart(7),
          String(s.patch.bodies).padStart(6),
          String(s.patch.maxBodiesPerTarget).padStart(10),
          `${s.patch.targetsWithMoreThanOneBody} (${s.patch.targetsOver150Entries})`.padStart(32),
          r.peakRssMiB.toFixed(1).padStart(13),
        ].join(' '),
      );
    }
  }
  const { wall, cpu, planOnlyCpu } = summary.scaling50kOver10k;
  console.log(
    `50k/10k ratio — total wall: cold ${wall.cold}, steady ${wall.steady}; total CPU: cold ${cpu.cold}, steady ${cpu.steady}; planCycle CPU: cold ${planOnlyCpu.cold}, steady ${planOnlyCpu.steady}`,
  );
}

async function runSize(podCount) {
  const { matchAssignments } = await import('@podid/matcher');
  const { planCycle, planArmPatch } = await import('@podid/reconciler');
  const cluster = buildCluster(podCount);
  const config = { subscriptionId: SUB, resourceGroup: RG, immutableClientIds: [], clusterIdentityClientId: 'kubelet' };
  const iterations = podCount >= 50_000 ? 7 : 15;

  // Wall-clock medians, plus CPU-time medians (process.cpuUsage): other work on a shared machine inflates wall time
  // but not the CPU time this process spends.
  const measure = (pods, current) => {
    const samples = { match: [], plan: [], total: [], matchCpu: [], planCpu: [], totalCpu: [] };
    let last;
    // One full GC before the series, none inside it: a forced GC per iteration shrinks the young generation and
    // makes every iteration pay for regrowing it, which a running MIC does not.
    globalThis.gc?.();
    for (let i = 0; i < iterations + 2; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const matched = matchAssignments(pods, cluster.bindings, cluster.identities, { namespaced: false });
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      last = planCycle({ desired: matched.assignments, current, nodes: cluster.nodes, config });
      const t2 = performance.now();
      const c2 = process.cpuUsage();
      if (i < 2) continue; // warm-up
      samples.match.push(t1 - t0);
      samples.plan.push(t2 - t1);
      samples.total.push(t2 - t0);
      samples.matchCpu.push(cpuMs(c0, c1));
      samples.planCpu.push(cpuMs(c1, c2));
      samples.totalCpu.push(cpuMs(c0, c2));
    }
    return {
      plan: last,
      matchMedianMs: median(samples.match),
      planMedianMs: median(samples.plan),
      totalMedianMs: median(samples.total),
      matchCpuMedianMs: median(samples.matchCpu),
      planCpuMedianMs: median(samples.planCpu),
      totalCpuMedianMs: median(samples.totalCpu),
    };
  };

  // Cold: nothing exists yet.
  const cold = measure(cluster.pods, []);
  const armAfterCold = new Map();
  const coldPatch = countBodies(cold.plan, armAfterCold, planArmPatch);

  // Steady: everything from the cold plan is Assigned; then 1% of pods go away and 1% arrive.
  const assigned = cold.plan.targets.flatMap((t) =>
    t.writes.map((w) => ({ ...w.object, status: { ...w.object.status, status: 'Assigned' } })),
  );
  const churn = Math.max(1, Math.floor(podCount / 100));
  const steadyPods = [...cluster.pods.slice(churn), ...buildPods(churn, podCount, cluster)];
  const steady = measure(steadyPods, assigned);
  const steadyPatch = countBodies(steady.plan, armAfterCold, planArmPatch);

  const summarize = (m, patch) => ({
    matchMedianMs: round(m.matchMedianMs),
    planMedianMs: round(m.planMedianMs),
    totalMedianMs: round(m.totalMedianMs),
    matchCpuMedianMs: round(m.matchCpuMedianMs),
    planCpuMedianMs: round(m.planCpuMedianMs),
    totalCpuMedianMs: round(m.totalCpuMedianMs),
    desired: m.plan.targets.reduce((n, t) => n + t.pending.length, 0),
    writes: m.plan.targets.reduce((n, t) => n + t.writes.length, 0),
    releases: m.plan.targets.reduce((n, t) => n + t.releases.length, 0),
    patch,
  });
  return {
    pods: podCount,
    iterations,
    cold: summarize(cold, coldPatch),
    steady: summarize(steady, steadyPatch),
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
  };
}

/** planArmPatch for every target with a delta, against (and updating) a simulated ARM identity state. */
function countBodies(plan, arm, planArmPatch) {
  let targets = 0;
  let bodies = 0;
  let maxBodiesPerTarget = 0;
  let targetsWithMoreThanOneBody = 0;
  let targetsOver150Entries = 0;
  for (const target of plan.targets) {
    const state = arm.get(target.key) ?? { type: 'SystemAssigned', userAssignedIdentityIds: [] };
    const result = planArmPatch(state, target.delta);
    if (result.kind !== 'patch') continue;
    targets++;
    bodies += result.bodies.length;
    maxBodiesPerTarget = Math.max(maxBodiesPerTarget, result.bodies.length);
    const entries = result.bodies.reduce((n, b) => n + Object.keys(b.identity.userAssignedIdentities ?? {}).length, 0);
    if (result.bodies.length > 1) targetsWithMoreThanOneBody++;
    if (entries > 150) targetsOver150Entries++;
    const ids = new Set(state.userAssignedIdentityIds);
    for (const body of result.bodies) {
      for (const [id, value] of Object.entries(body.identity.userAssignedIdentities ?? {})) {
        if (value === null) ids.delete(id);
        else ids.add(id);
      }
    }
    arm.set(target.key, { type: 'SystemAssigned, UserAssigned', userAssignedIdentityIds: [...ids] });
  }
  return { targets, bodies, maxBodiesPerTarget, targetsWithMoreThanOneBody, targetsOver150Entries };
}

function buildCluster(podCount) {
  const identities = [];
  const bindings = [];
  for (let i = 0; i < IDENTITIES; i++) {
    const ns = `team-${i % 25}`;
    identities.push({
      metadata: { name: `id-${i}`, namespace: ns, resourceVersion: '1' },
      spec: {
        type: 0,
        clientID: `00000000-0000-0000-0001-${String(i).padStart(12, '0')}`,
        resourceID: `/subscriptions/${SUB}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${i}`,
      },
    });
    bindings.push({
      metadata: { name: `id-${i}-binding`, namespace: ns, resourceVersion: '1' },
      spec: { azureIdentity: `id-${i}`, selector: `app-${i}` },
    });
  }
  const nodes = [];
  for (let n = 0; n < VMSS_NODES; n++) {
    const vmss = `aks-pool${n % VMSS_COUNT}-vmss`;
    const instance = Math.floor(n / VMSS_COUNT);
    nodes.push({
      name: `${vmss}${String(instance).padStart(6, '0')}`,
      providerID: `azure:///subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${instance}`,
    });
  }
  for (let v = 0; v < VM_COUNT; v++) {
    const name = `aks-vm-${v}`;
    nodes.push({
      name,
      providerID: `azure:///subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${name}`,
    });
  }
  const cluster = { identities, bindings, nodes };
  cluster.pods = buildPods(podCount, 0, cluster);
  return cluster;
}

/** Pods spread over namespaces, nodes and selectors with a fixed-seed generator (same cluster every run). */
function buildPods(count, offset, cluster) {
  const random = mulberry32(0x5eed + offset);
  const pods = [];
  for (let i = 0; i < count; i++) {
    const n = offset + i;
    const selector = Math.floor(random() * IDENTITIES);
    const node = cluster.nodes[Math.floor(random() * cluster.nodes.length)];
    pods.push({
      metadata: {
        name: `pod-${n}`,
        namespace: `team-${selector % 25}`,
        labels: { aadpodidbinding: `app-${selector}` },
      },
      spec: { nodeName: node.name },
      status: { phase: 'Running' },
    });
  }
  return pods;
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cpuMs(from, to) {
  return (to.user - from.user + to.system - from.system) / 1000;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(value) {
  return Math.round(value * 100) / 100;
}
