// MIC's informer caches measured in-process (issue 20): the scale bench's cluster (prefilled, see prefill.mjs) and,
// in this process, MIC's five informers with the options mic-runtime.ts gives them, started one at a time. Prints
// the live heap after a full GC once each has synced, and V8's committed heap, so what each cache costs is visible
// without a MIC child process. Needs --expose-gc: `node --expose-gc bench/scale/informer-heap.mjs 100000`.
import v8 from 'node:v8';
import {
  createAssignedIdentityInformer,
  createBindingInformer,
  createIdentityInformer,
  createKubeConfig,
  createKubeConnection,
  createNodeInformer,
  createPodInformer,
} from '@podid/kube-client';
import { identitiesByComputeName, prefillAssignedIdentities } from './prefill.mjs';
import { fillWorld, startWorld } from './world.mjs';

const pods = Number(process.argv[2] ?? 10_000);
if (!globalThis.gc) throw new Error('run with node --expose-gc');
const mib = (bytes) => Math.round(bytes / 1024 / 102.4) / 10;
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, heapTotal, rss } = process.memoryUsage();
  return { heapUsed, heapTotal, rss };
};

const world = await startWorld();
try {
  const fill = await fillWorld(world, pods, { armIdentities: identitiesByComputeName(pods) });
  await prefillAssignedIdentities(world, fill.podSpecs);
  const connection = createKubeConnection({
    kubeConfig: createKubeConfig({ kubeconfigPath: world.kubeconfigPath }),
    userAgent: 'podid-informer-heap',
    qps: -1,
  });
  const settings = { connection };
  const informers = [
    ['pods', () => createPodInformer({ ...settings, requireBindingLabel: true, matchingFieldsOnly: true })],
    ['nodes', () => createNodeInformer({ ...settings, mappingFieldsOnly: true })],
    ['identities', () => createIdentityInformer(settings)],
    ['bindings', () => createBindingInformer(settings)],
    ['assignedIdentities', () => createAssignedIdentityInformer(settings)],
  ];
  let before = heap();
  console.log(
    `${pods} pods; baseline heap ${mib(before.heapUsed)} MiB (committed ${mib(before.heapTotal)}, RSS ${mib(before.rss)})`,
  );
  const started = [];
  for (const [name, create] of informers) {
    const informer = create();
    started.push(informer);
    let peakCommitted = 0;
    const sampler = setInterval(() => {
      peakCommitted = Math.max(peakCommitted, process.memoryUsage().heapTotal);
    }, 20);
    informer.start();
    await informer.synced;
    clearInterval(sampler);
    const after = heap();
    console.log(
      `${name}: ${informer.size} cached, +${mib(after.heapUsed - before.heapUsed)} MiB live (${Math.round((after.heapUsed - before.heapUsed) / Math.max(1, informer.size))} B each); committed ${mib(after.heapTotal)} MiB (peak while listing ${mib(peakCommitted)}), RSS ${mib(after.rss)}`,
    );
    before = after;
  }
  if (process.env.SAMPLE) {
    const aai = started[4].list()[0];
    console.log(JSON.stringify(aai, null, 1));
  }
  for (const space of v8.getHeapSpaceStatistics())
    console.log(`  ${space.space_name}: used ${mib(space.space_used_size)} / committed ${mib(space.space_size)} MiB`);
  await Promise.all(started.map((i) => i.stop()));
} finally {
  await world.close();
}
