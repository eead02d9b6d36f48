/**
 * Informers (client-node ListWatch) must end up with exactly the server's state after many random changes while
 * watches are dropped, expire (410), history is compacted and list/watch requests fail with 429/500.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import fc from 'fast-check';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { eventually, kubeConfigFor } from './test-support/kube-client.js';
import { RawHttpClient } from './test-support/raw-http.js';

let emulator: KubeEmulator;
let core: k8s.CoreV1Api;
let writer: RawHttpClient;
const NS = 'inf';

beforeAll(async () => {
  emulator = await startKubeEmulator({ historySize: 150 });
  core = kubeConfigFor(emulator).makeApiClient(k8s.CoreV1Api);
  writer = new RawHttpClient(emulator.url);
  await core.createNamespace({ body: { metadata: { name: NS } } });
});
afterAll(async () => {
  writer.close();
  await emulator.close();
});

interface TrackedInformer {
  lw: k8s.ListWatch<k8s.V1ConfigMap>;
  /** State rebuilt only from add/update/delete callbacks. */
  shadow: Map<string, string>;
  duplicateAdds: number;
  restarts: number;
  stop(): Promise<void>;
}

/** A ListWatch that restarts itself after non-410 errors (client-node does not), unless it was stopped. */
function trackedInformer(labelSelector?: string): TrackedInformer {
  const kc = kubeConfigFor(emulator);
  const listFn = () => core.listNamespacedConfigMap({ namespace: NS, ...(labelSelector ? { labelSelector } : {}) });
  // Reconnect backoff capped at 5 ms so the test does not sit in client-node's 1-30 s backoff.
  const delayFn = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5)));
  const lw = new k8s.ListWatch<k8s.V1ConfigMap>(
    `/api/v1/namespaces/${NS}/configmaps`,
    new k8s.Watch(kc),
    listFn,
    false,
    labelSelector,
    undefined,
    {
      delayFn,
    },
  );
  let stopped = false;
  const tracked: TrackedInformer = {
    lw,
    shadow: new Map(),
    duplicateAdds: 0,
    restarts: 0,
    stop: async () => {
      stopped = true;
      await lw.stop();
    },
  };
  lw.on('add', (o) => {
    if (tracked.shadow.has(o.metadata!.name!)) tracked.duplicateAdds++;
    tracked.shadow.set(o.metadata!.name!, o.metadata!.resourceVersion!);
  });
  lw.on('update', (o) => tracked.shadow.set(o.metadata!.name!, o.metadata!.resourceVersion!));
  lw.on('delete', (o) => tracked.shadow.delete(o.metadata!.name!));
  lw.on('error', () => {
    if (stopped) return;
    tracked.restarts++;
    setTimeout(() => {
      if (!stopped) lw.start().catch(() => {});
    }, 5);
  });
  return tracked;
}

async function serverState(labelSelector?: string): Promise<Map<string, string>> {
  const list = await core.listNamespacedConfigMap({ namespace: NS, ...(labelSelector ? { labelSelector } : {}) });
  return new Map(list.items.map((c) => [c.metadata!.name!, c.metadata!.resourceVersion!]));
}

const cacheState = (t: TrackedInformer) =>
  new Map(t.lw.list(NS).map((c) => [c.metadata!.name!, c.metadata!.resourceVersion!]));
const same = (a: Map<string, string>, b: Map<string, string>) =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

type Op =
  | { kind: 'upsert'; name: number; group: 'a' | 'b'; value: number }
  | { kind: 'delete'; name: number }
  | { kind: 'fault'; fault: 'closeWatches' | 'expire' | 'compact' | 'fail429' | 'fail500' }
  | { kind: 'partition'; writes: { name: number; value: number; del: boolean }[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('upsert' as const),
      name: fc.nat(59),
      group: fc.constantFrom('a' as const, 'b' as const),
      value: fc.nat(1000),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), name: fc.nat(59) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      fault: fc.constantFrom(
        'closeWatches' as const,
        'expire' as const,
        'compact' as const,
        'fail429' as const,
        'fail500' as const,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('partition' as const),
      writes: fc.array(fc.record({ name: fc.nat(59), value: fc.nat(1000), del: fc.boolean() }), {
        minLength: 1,
        maxLength: 5,
      }),
    }),
  },
);

/**
 * Watches fail while changes happen and history is compacted, so the informers come back with a resourceVersion
 * the server no longer has: only a 410 (and a re-list) gets them the changes they missed.
 */
async function partition(writes: { name: number; value: number; del: boolean }[]): Promise<void> {
  const admin = emulator.admin;
  admin.failNextRequests({ count: 1_000_000, status: 500, verb: 'watch', resource: 'configmaps' });
  admin.closeAllWatches();
  for (const w of writes) {
    await apply(
      w.del ? { kind: 'delete', name: w.name } : { kind: 'upsert', name: w.name, group: 'a', value: w.value },
    );
  }
  admin.compactHistory();
  admin.clearFaults();
}

async function apply(op: Op): Promise<void> {
  const admin = emulator.admin;
  if (op.kind === 'partition') return partition(op.writes);
  if (op.kind === 'fault') {
    if (op.fault === 'closeWatches') admin.closeAllWatches();
    if (op.fault === 'expire') admin.expireNextWatch();
    if (op.fault === 'compact') admin.compactHistory();
    // Only the informers' verbs fail, so the writer below never needs retries.
    if (op.fault === 'fail429')
      admin.failNextRequests({ count: 2, status: 429, verb: 'watch', resource: 'configmaps' });
    if (op.fault === 'fail500') admin.failNextRequests({ count: 1, status: 500, verb: 'list', resource: 'configmaps' });
    return;
  }
  // The writer is not under test; a raw keep-alive client keeps the 1,000 changes quick.
  const base = `/api/v1/namespaces/${NS}/configmaps`;
  const name = `cm-${op.name}`;
  if (op.kind === 'delete') {
    const res = await writer.send('DELETE', `${base}/${name}`);
    if (res.status !== 200 && res.status !== 404) throw new Error(`delete answered ${res.status}`);
    return;
  }
  const body = JSON.stringify({ metadata: { name, labels: { group: op.group } }, data: { v: String(op.value) } });
  const created = await writer.send('POST', base, body);
  if (created.status === 201) return;
  if (created.status !== 409) throw new Error(`create answered ${created.status}`);
  const patched = await writer.send('PATCH', `${base}/${name}`, body, 'application/merge-patch+json');
  if (patched.status !== 200) throw new Error(`patch answered ${patched.status}`);
}

describe('informers under faults', () => {
  test('after 1,000 random changes with faults on, informer caches equal the server state', async () => {
    const all = trackedInformer();
    const groupA = trackedInformer('group=a');
    await all.lw.start();
    await groupA.lw.start();
    try {
      const ops = fc.sample(fc.array(opArb, { minLength: 1000, maxLength: 1000 }), { numRuns: 1, seed: 7 })[0]!;
      for (const [i, op] of ops.entries()) {
        await apply(op);
        // Let the informers interleave with the writer now and then instead of only at the end.
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      emulator.admin.clearFaults();
      const expectedAll = await serverState();
      const expectedA = await serverState('group=a');
      await eventually(
        () => same(cacheState(all), expectedAll) && same(cacheState(groupA), expectedA),
        'informer caches to converge',
      );
      expect(cacheState(all)).toEqual(expectedAll);
      expect(cacheState(groupA)).toEqual(expectedA);
      expect(all.shadow).toEqual(expectedAll);
      expect(groupA.shadow).toEqual(expectedA);
      expect(all.duplicateAdds + groupA.duplicateAdds).toBe(0);
      // The faults really happened: the informers had to restart after errors.
      expect(all.restarts + groupA.restarts).toBeGreaterThan(0);
    } finally {
      await all.stop();
      await groupA.stop();
    }
  });
});
