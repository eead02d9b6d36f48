import { describe, expect, test } from '@jest/globals';
import type { AzureAssignedIdentity, AzureIdentity, AzureIdentityBinding, Node, Pod } from '@podid/crd-types';
import { MicController } from './controller.js';
import {
  FakeArm,
  FakeAssignedIdentityStore,
  FakeSource,
  makeBinding,
  makeIdentity,
  makeNode,
  makePod,
} from './test-support/fake-cluster.js';

function setup(options: { debounceMs?: number; retryInitialMs?: number; writeRetryInitialMs?: number } = {}) {
  const pods = new FakeSource<Pod>();
  const nodes = new FakeSource<Node>();
  const identities = new FakeSource<AzureIdentity>();
  const bindings = new FakeSource<AzureIdentityBinding>();
  const assigned = new FakeSource<AzureAssignedIdentity>();
  const store = new FakeAssignedIdentityStore(assigned);
  const arm = new FakeArm();
  const events: string[] = [];
  const logs: string[] = [];
  const controller = new MicController({
    sources: { pods, nodes, identities, bindings, assignedIdentities: assigned },
    writer: store,
    arm,
    events: {
      bindingApplied: (o) => events.push(`applied ${o.metadata.name}`),
      bindingApplyError: (o, m) => events.push(`apply-error ${o.metadata.name} ${m}`),
      bindingRemoved: (o) => events.push(`removed ${o.metadata.name}`),
      bindingRemoveError: (o, m) => events.push(`remove-error ${o.metadata.name} ${m}`),
      statusUpdateError: (o, m) => events.push(`status-error ${o.metadata.name} ${m}`),
      targetNotFound: (nodes, m) => events.push(`target-not-found ${nodes.join(',')} ${m}`),
    },
    observer: {
      kubeWrite: () => {},
      armUpdate: () => {},
      cycle: () => {},
      log: (level, message) => logs.push(`${level} ${message}`),
    },
    namespaced: false,
    reconciler: { subscriptionId: 'sub', resourceGroup: 'rg', immutableClientIds: [] },
    writeConcurrency: 20,
    debounceMs: options.debounceMs ?? 5,
    syncIntervalMs: 3_600_000,
    identityReconcileIntervalMs: 3_600_000,
    retryInitialMs: options.retryInitialMs ?? 10,
    ...(options.writeRetryInitialMs === undefined ? {} : { writeRetryInitialMs: options.writeRetryInitialMs }),
  });
  /** Waits until the controller has nothing left to do and every change was delivered. */
  const settle = async () => {
    for (let i = 0; i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await controller.idle();
    }
  };
  return { pods, nodes, identities, bindings, assigned, store, arm, events, logs, controller, settle };
}

/** Identities id1 and id2, bound to the pod labels `web` and `api`. */
function putTwoIdentities(h: ReturnType<typeof setup>): void {
  h.identities.put(makeIdentity('id1'));
  h.identities.put(makeIdentity('id2'));
  h.bindings.put(makeBinding('b1', 'id1', 'web'));
  h.bindings.put(makeBinding('b2', 'id2', 'api'));
}

const statuses = (store: FakeAssignedIdentityStore) =>
  [...store.server.values()].map((o) => `${o.metadata.name}:${o.status?.status}`).sort();

describe('MicController', () => {
  test('a labelled pod goes from nothing to Assigned, and back to nothing when deleted', async () => {
    const h = setup();
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.identities.put(makeIdentity('id1'));
    h.bindings.put(makeBinding('b1', 'id1', 'web'));
    h.pods.put(makePod('p1', 'vmss-a-0', 'web'));
    h.controller.start();
    await h.settle();
    expect(statuses(h.store)).toEqual([expect.stringMatching(/:Assigned$/)]);
    expect([...h.arm.idsOn({ kind: 'vmss', subscriptionId: 'sub', resourceGroup: 'rg', name: 'vmss-a' })]).toEqual([
      '/subscriptions/sub/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/id1',
    ]);
    expect(h.events).toEqual([expect.stringMatching(/^applied /)]);

    h.pods.remove('default', 'p1');
    await h.settle();
    expect(statuses(h.store)).toEqual([]);
    expect(h.arm.idsOn({ kind: 'vmss', subscriptionId: 'sub', resourceGroup: 'rg', name: 'vmss-a' }).size).toBe(0);
    expect(h.store.writes.filter((w) => w.startsWith('create'))).toHaveLength(1);
    await h.controller.stop();
  });

  test('a burst of 500 pods over 10 VMSSs: everything Assigned, at most 2 PATCHes per VMSS, no duplicate creates', async () => {
    const h = setup({ debounceMs: 20 });
    for (let v = 0; v < 10; v++) h.nodes.put(makeNode(`vmss-${v}-0`, `vmss-${v}`));
    for (let i = 0; i < 5; i++) {
      h.identities.put(makeIdentity(`id${i}`));
      h.bindings.put(makeBinding(`b${i}`, `id${i}`, `app${i}`));
    }
    h.controller.start();
    await h.settle();
    for (let p = 0; p < 500; p++) h.pods.put(makePod(`p${p}`, `vmss-${p % 10}-0`, `app${p % 5}`));
    await h.settle();
    const all = statuses(h.store);
    expect(all).toHaveLength(500);
    expect(all.every((s) => s.endsWith(':Assigned'))).toBe(true);
    for (const count of h.arm.patches.values()) expect(count).toBeLessThanOrEqual(2);
    expect(h.arm.patches.size).toBe(10);
    expect(new Set(h.store.writes).size).toBe(h.store.writes.length);
    expect(h.events.filter((e) => e.startsWith('apply-error'))).toEqual([]);
    await h.controller.stop();
  });

  test('an ARM failure leaves Created and is retried with back-off until it succeeds', async () => {
    const h = setup({ retryInitialMs: 20 });
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.identities.put(makeIdentity('id1'));
    h.bindings.put(makeBinding('b1', 'id1', 'web'));
    h.pods.put(makePod('p1', 'vmss-a-0', 'web'));
    h.arm.failing = true;
    h.controller.start();
    await h.settle();
    expect(statuses(h.store)).toEqual([expect.stringMatching(/:Created$/)]);
    expect(h.events.some((e) => e.startsWith('apply-error'))).toBe(true);
    h.arm.failing = false;
    await new Promise((resolve) => setTimeout(resolve, 400));
    await h.settle();
    expect(statuses(h.store)).toEqual([expect.stringMatching(/:Assigned$/)]);
    await h.controller.stop();
  });

  test('pod status churn does not start cycles; label changes do', async () => {
    const h = setup();
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.identities.put(makeIdentity('id1'));
    h.bindings.put(makeBinding('b1', 'id1', 'web'));
    const pod = makePod('p1', 'vmss-a-0', 'web');
    h.pods.put(pod);
    h.controller.start();
    await h.settle();
    const before = h.controller.cycleCount;
    for (let i = 0; i < 20; i++) h.pods.put({ ...pod, status: { phase: 'Running', podIP: `10.0.0.${i}` } });
    h.pods.put({ ...pod, status: { phase: 'Pending' } });
    h.pods.put({ ...pod, status: { phase: 'Running' } });
    await h.settle();
    expect(h.controller.cycleCount).toBe(before);
    // Into a terminal phase: the pod needs its identity no more, so that is a change that matters.
    h.pods.put({ ...pod, status: { phase: 'Succeeded' } });
    await h.settle();
    expect(h.controller.cycleCount).toBeGreaterThan(before);
    expect(statuses(h.store)).toEqual([]);
    h.pods.put(pod);
    await h.settle();
    expect(statuses(h.store)).toEqual([expect.stringMatching(/:Assigned$/)]);
    const afterTerminal = h.controller.cycleCount;
    h.pods.put({ ...pod, metadata: { ...pod.metadata, labels: { aadpodidbinding: 'other' } } });
    await h.settle();
    expect(h.controller.cycleCount).toBeGreaterThan(afterTerminal);
    expect(statuses(h.store)).toEqual([]);
    await h.controller.stop();
  });

  test('identity reconcile re-adds an identity removed by hand and removes nothing (row 35)', async () => {
    const h = setup();
    const target = { kind: 'vmss' as const, subscriptionId: 'sub', resourceGroup: 'rg', name: 'vmss-a' };
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.identities.put(makeIdentity('id1'));
    h.bindings.put(makeBinding('b1', 'id1', 'web'));
    h.pods.put(makePod('p1', 'vmss-a-0', 'web'));
    h.controller.start();
    await h.settle();
    h.arm.idsOn(target).clear();
    h.arm
      .idsOn(target)
      .add('/subscriptions/sub/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/manual');
    await h.controller.runIdentityReconcile();
    expect([...h.arm.idsOn(target)].sort()).toEqual([
      '/subscriptions/sub/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/id1',
      '/subscriptions/sub/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/manual',
    ]);
    await h.controller.stop();
  });

  test('a delete that keeps failing is retried with per-object back-off, not by every cycle (issue 15 item 12)', async () => {
    const h = setup({ retryInitialMs: 50, writeRetryInitialMs: 50 });
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.identities.put(makeIdentity('id1'));
    h.bindings.put(makeBinding('b1', 'id1', 'web'));
    h.pods.put(makePod('p1', 'vmss-a-0', 'web'));
    h.controller.start();
    await h.settle();
    expect(statuses(h.store)).toEqual([expect.stringMatching(/:Assigned$/)]);

    h.store.failRemoves = true;
    h.pods.remove('default', 'p1');
    // Meanwhile other pods keep changing, so cycles keep running for reasons of their own.
    const churn = setInterval(() => h.pods.put(makePod(`other-${Date.now()}`, 'vmss-a-0', 'nothing')), 20);
    const removes = () => h.store.writes.filter((w) => w.startsWith('remove')).length;
    const statusWrites = () => h.store.writes.filter((w) => w.startsWith('status') && w.endsWith('Unassigned')).length;
    await new Promise((resolve) => setTimeout(resolve, 1600));
    clearInterval(churn);
    // Back-off 50, 100, 200, 400, 800 ms: about 5 attempts in 1.6 s; every cycle retrying it made hundreds.
    expect(removes()).toBeGreaterThanOrEqual(2);
    expect(removes()).toBeLessThanOrEqual(8);
    expect(statusWrites()).toBeLessThanOrEqual(8);
    expect(h.controller.cycleCount).toBeGreaterThan(20); // the churn did run cycles; they left the object alone

    h.store.failRemoves = false;
    await new Promise((resolve) => setTimeout(resolve, 1700));
    await h.settle();
    expect(statuses(h.store)).toEqual([]);
    await h.controller.stop();
  });

  test("a cycle does not wait for another cycle's ARM update: a pod on another VMSS is assigned meanwhile", async () => {
    const h = setup();
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.nodes.put(makeNode('vmss-b-0', 'vmss-b'));
    h.identities.put(makeIdentity('id1'));
    h.bindings.put(makeBinding('b1', 'id1', 'web'));
    const releaseA = h.arm.hold('vmss-a');
    h.pods.put(makePod('p1', 'vmss-a-0', 'web'));
    h.controller.start();
    await until(() => h.store.writes.some((w) => w.startsWith('create default/p1')));
    // vmss-a's update is under way (held); a new pod on vmss-b must not queue behind it.
    h.pods.put(makePod('p2', 'vmss-b-0', 'web'));
    await until(() => statusOf(h.store, 'p2') === 'Assigned');
    expect(statusOf(h.store, 'p1')).toBe('Created');
    releaseA();
    await h.settle();
    expect(statusOf(h.store, 'p1')).toBe('Assigned');
    await h.controller.stop();
  });

  test("a VMSS freed by an earlier cycle is planned again at once, not when that cycle's other targets are done", async () => {
    const h = setup();
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.nodes.put(makeNode('vmss-b-0', 'vmss-b'));
    putTwoIdentities(h);
    const releaseA = h.arm.hold('vmss-a');
    const releaseB = h.arm.hold('vmss-b');
    // One cycle: vmss-a and vmss-b each wait on their (held) ARM update.
    h.pods.put(makePod('p1', 'vmss-a-0', 'web'));
    h.pods.put(makePod('p2', 'vmss-b-0', 'web'));
    h.controller.start();
    await until(() => h.store.writes.filter((w) => w.startsWith('create')).length === 2);
    // A pod that needs vmss-a again: the next cycle must leave vmss-a to the first one.
    h.pods.put(makePod('p3', 'vmss-a-0', 'api'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.store.writes.some((w) => w.startsWith('create default/p3'))).toBe(false);
    // vmss-a's update ends; vmss-b's is still held, so the first cycle is not over. p3 must not wait for it.
    releaseA();
    await until(() => statusOf(h.store, 'p3') === 'Assigned', 2000);
    expect(statusOf(h.store, 'p2')).toBe('Created');
    releaseB();
    await h.settle();
    expect(statuses(h.store).filter((s) => s.endsWith(':Assigned'))).toHaveLength(3);
    await h.controller.stop();
  });

  test("a VMSS busy with one cycle's update is left to it: never two updates of one target at once", async () => {
    const h = setup();
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.nodes.put(makeNode('vmss-a-1', 'vmss-a'));
    putTwoIdentities(h);
    const releaseA = h.arm.hold('vmss-a');
    h.pods.put(makePod('p1', 'vmss-a-0', 'web'));
    h.controller.start();
    await until(() => h.store.writes.some((w) => w.startsWith('create default/p1')));
    // Another identity for the same VMSS while its update is held: later cycles must not start a second update.
    h.pods.put(makePod('p2', 'vmss-a-1', 'api'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.store.writes.some((w) => w.startsWith('create default/p2'))).toBe(false);
    releaseA();
    await h.settle();
    expect(statusOf(h.store, 'p1')).toBe('Assigned');
    expect(statusOf(h.store, 'p2')).toBe('Assigned');
    expect(h.arm.maxConcurrentPerTarget).toBe(1);
    await h.controller.stop();
  });

  test("the echo of its own writes starts no cycle; someone else's edit of an assigned identity does", async () => {
    const h = setup();
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.identities.put(makeIdentity('id1'));
    h.bindings.put(makeBinding('b1', 'id1', 'web'));
    for (let i = 0; i < 20; i++) h.pods.put(makePod(`p${i}`, 'vmss-a-0', 'web'));
    const releaseA = h.arm.hold('vmss-a');
    h.controller.start();
    await until(() => h.store.writes.filter((w) => w.startsWith('create')).length === 20);
    // The 20 creates come back as 20 watch events while the ARM update is held: none of them calls for a cycle.
    const cycles = h.controller.cycleCount;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.controller.cycleCount).toBe(cycles);
    releaseA();
    await h.settle();
    expect(statuses(h.store).filter((s) => s.endsWith(':Assigned'))).toHaveLength(20);
    const settled = h.controller.cycleCount;
    const [object] = [...h.store.server.values()];
    if (object === undefined) throw new Error('no object');
    h.assigned.put({
      ...object,
      status: { status: 'Created' },
      metadata: { ...object.metadata, resourceVersion: '9999' },
    });
    await h.settle();
    expect(h.controller.cycleCount).toBeGreaterThan(settled);
    await h.controller.stop();
  });

  test('an echo that reaches the cache before its write has returned starts no cycle either', async () => {
    const h = setup();
    h.store.eventsBeforeResponse = true;
    h.nodes.put(makeNode('vmss-a-0', 'vmss-a'));
    h.nodes.put(makeNode('vmss-b-0', 'vmss-b'));
    h.identities.put(makeIdentity('id1'));
    h.bindings.put(makeBinding('b1', 'id1', 'web'));
    h.pods.put(makePod('keep', 'vmss-a-0', 'web'));
    for (let i = 0; i < 20; i++) h.pods.put(makePod(`p${i}`, 'vmss-a-0', 'web'));
    h.controller.start();
    await h.settle();
    expect(statuses(h.store).filter((s) => s.endsWith(':Assigned'))).toHaveLength(21);

    // One cycle: 20 releases on vmss-a (its identity stays, `keep` uses it: no ARM call), each a status write, a
    // finalizer removal and a delete whose events come before the responses; and one pod on vmss-b, whose ARM update
    // is held so that this cycle's work is not over and no follow-up cycle is due.
    const releaseB = h.arm.hold('vmss-b');
    const cycles = h.controller.cycleCount;
    for (let i = 0; i < 20; i++) h.pods.remove('default', `p${i}`);
    h.pods.put(makePod('pb', 'vmss-b-0', 'web'));
    await until(() => h.store.writes.filter((w) => w.startsWith('remove')).length === 20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.controller.cycleCount).toBe(cycles + 1);
    releaseB();
    await h.settle();
    expect(statuses(h.store)).toEqual([expect.stringMatching(/:Assigned$/), expect.stringMatching(/:Assigned$/)]);
    await h.controller.stop();
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function statusOf(store: FakeAssignedIdentityStore, pod: string): string | undefined {
  return [...store.server.values()].find((o) => o.spec.pod === pod)?.status?.status;
}
