import { describe, expect, test } from '@jest/globals';
import type { ArmTarget, AzureAssignedIdentity, IdentityDelta } from '@podid/crd-types';
import type { Plan, TargetPlan } from '@podid/reconciler';
import {
  type AssignedIdentityWriter,
  type AssignmentEvents,
  type IdentityDeltaApplier,
  PlanExecutor,
} from './plan-executor.js';

const target: ArmTarget = { kind: 'vmss', subscriptionId: 's', resourceGroup: 'rg', name: 'pool' };
const idA = '/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/a';
const idB = '/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/b';

function assigned(name: string, status = 'Created'): AzureAssignedIdentity {
  return {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureAssignedIdentity',
    metadata: { name, namespace: 'default' },
    spec: {
      pod: name,
      podNamespace: 'default',
      nodename: 'node-0',
      azureBindingRef: {
        apiVersion: 'aadpodidentity.k8s.io/v1',
        kind: 'AzureIdentityBinding',
        metadata: { name: 'binding', namespace: 'default' },
        spec: { azureIdentity: 'id', selector: 'sel' },
      },
    },
    status: { status },
  } as AzureAssignedIdentity;
}

function targetPlan(overrides: Partial<TargetPlan>): TargetPlan {
  return {
    key: 'vmss',
    target,
    nodeNames: ['node-0'],
    writes: [],
    delta: { add: [], remove: [] },
    pending: [],
    releases: [],
    onSuccess: [],
    confirmedResourceIds: [],
    ...overrides,
  };
}

function harness(options: {
  failCreate?: string[];
  armFails?: boolean;
  onTarget?: string[];
  concurrency?: number;
  /** Resolves when a GET of a target's identities may answer. */
  readsAnswer?: Promise<void>;
}) {
  const log: string[] = [];
  const armCalls: IdentityDelta[] = [];
  let reads = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const slow = async () => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
  };
  const writer: AssignedIdentityWriter = {
    create: async (object) => {
      await slow();
      if (options.failCreate?.includes(object.metadata.name ?? '')) throw new Error('conflict');
      log.push(`create ${object.metadata.name} (${object.status?.status})`);
      return object;
    },
    update: async (object) => {
      await slow();
      log.push(`update ${object.metadata.name}`);
      return object;
    },
    setStatus: async (object, state) => {
      log.push(`status ${object.metadata.name} ${state}`);
      return object;
    },
    unassign: async (object) => {
      log.push(`unassign ${object.metadata.name}`);
      return object;
    },
    remove: async (object) => {
      log.push(`remove ${object.metadata.name}`);
    },
  };
  const arm: IdentityDeltaApplier = {
    applyIdentityDelta: async (_target, delta) => {
      armCalls.push(delta);
      if (options.armFails)
        return { status: 'failed', error: new Error('LinkedAuthorizationFailed'), dropped: [], patchCount: 0 };
      return { status: 'succeeded', dropped: [], patchCount: 1 };
    },
    getIdentityState: async () => {
      reads++;
      await options.readsAnswer;
      return { userAssignedIdentityIds: options.onTarget ?? [] };
    },
  };
  const events: string[] = [];
  const recorder: AssignmentEvents = {
    bindingApplied: (o) => events.push(`applied ${o.metadata.name}`),
    bindingApplyError: (o, m) => events.push(`apply-error ${o.metadata.name}: ${m}`),
    bindingRemoved: (o) => events.push(`removed ${o.metadata.name}`),
    bindingRemoveError: (o, m) => events.push(`remove-error ${o.metadata.name}: ${m}`),
    statusUpdateError: (o, m) => events.push(`status-error ${o.metadata.name}: ${m}`),
    targetNotFound: (nodes, m) => events.push(`target-not-found ${nodes.join(',')}: ${m}`),
  };
  const executor = new PlanExecutor({
    writer,
    arm,
    events: recorder,
    writeConcurrency: options.concurrency ?? 20,
    observer: { kubeWrite: () => {}, armUpdate: () => {}, log: () => {} },
  });
  return { executor, log, armCalls, events, maxInFlight: () => maxInFlight, reads: () => reads };
}

const plan = (targets: TargetPlan[], releasesWithoutArm: AzureAssignedIdentity[] = []): Plan => ({
  targets,
  releasesWithoutArm,
  diagnostics: [],
});

function creating(names: string[], resourceId = idA): Partial<TargetPlan> {
  const objects = names.map((name) => assigned(name));
  return {
    writes: objects.map((object) => ({ op: 'create' as const, object })),
    delta: { add: [resourceId], remove: [] },
    pending: objects.map((object) => ({ object, resourceId })),
    onSuccess: objects.map((object) => ({ action: 'mark-assigned' as const, object })),
  };
}

describe('PlanExecutor', () => {
  test('create → one ARM update → Assigned, with a binding applied event (row 13)', async () => {
    const h = harness({});
    const summary = await h.executor.execute(plan([targetPlan(creating(['p1-default-id']))]));
    expect(h.log).toEqual(['create p1-default-id (Created)', 'status p1-default-id Assigned']);
    expect(h.armCalls).toEqual([{ add: [idA], remove: [] }]);
    expect(h.events).toEqual(['applied p1-default-id']);
    expect(summary).toMatchObject({ created: 1, assigned: 1, armPatches: 1, failedTargets: 0 });
  });

  test('ARM failure with the identity absent keeps Created and emits binding apply error (row 14)', async () => {
    const h = harness({ armFails: true, onTarget: [] });
    const summary = await h.executor.execute(plan([targetPlan(creating(['p1']))]));
    expect(h.log).toEqual(['create p1 (Created)']);
    expect(h.events).toEqual([
      'apply-error p1: failed to apply binding default/binding node node-0 for pod default/p1, error: LinkedAuthorizationFailed',
    ]);
    expect(summary).toMatchObject({ leftCreated: 1, assigned: 0, failedTargets: 1 });
  });

  test('ARM failure with the identity present anyway marks it Assigned (§2.9 step 5)', async () => {
    const h = harness({ armFails: true, onTarget: [idA.toUpperCase()] });
    await h.executor.execute(plan([targetPlan(creating(['p1']))]));
    expect(h.log).toEqual(['create p1 (Created)', 'status p1 Assigned']);
  });

  test('an identity whose object could not be written is not added to the VM', async () => {
    const h = harness({ failCreate: ['p1'] });
    await h.executor.execute(plan([targetPlan(creating(['p1']))]));
    expect(h.armCalls).toEqual([]);
    expect(h.log).toEqual([]);
    expect(h.events[0]).toMatch(/^apply-error p1: failed to create AzureAssignedIdentity default\/p1: conflict/);
  });

  test('a shared identity is still added when only one of its objects failed', async () => {
    const h = harness({ failCreate: ['p1'] });
    await h.executor.execute(plan([targetPlan(creating(['p1', 'p2']))]));
    expect(h.armCalls).toEqual([{ add: [idA], remove: [] }]);
    expect(h.log).toEqual(['create p2 (Created)', 'status p2 Assigned']);
  });

  test('writes per target are bounded by --createDeleteBatch (row 32)', async () => {
    const h = harness({ concurrency: 2 });
    const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
    await h.executor.execute(plan([targetPlan(creating(names))]));
    expect(h.maxInFlight()).toBe(2);
    expect(h.log.filter((line) => line.startsWith('create'))).toHaveLength(10);
  });

  test('a release: status Unassigned (finalizer removed in the same write), then deleted, with a binding removed event (row 15)', async () => {
    const object = assigned('gone', 'Assigned');
    const h = harness({});
    await h.executor.execute(
      plan([
        targetPlan({
          delta: { add: [], remove: [idB] },
          releases: [{ object, removesResourceId: idB }],
          onSuccess: [{ action: 'release', object, markUnassigned: true }],
        }),
      ]),
    );
    expect(h.armCalls).toEqual([{ add: [], remove: [idB] }]);
    expect(h.log).toEqual(['unassign gone', 'remove gone']);
    expect(h.events).toEqual(['removed gone']);
  });

  test('a failed removal with the identity still there keeps the object for the next cycle', async () => {
    const object = assigned('gone', 'Assigned');
    const h = harness({ armFails: true, onTarget: [idB] });
    await h.executor.execute(
      plan([
        targetPlan({
          delta: { add: [], remove: [idB] },
          releases: [{ object, removesResourceId: idB }],
          onSuccess: [{ action: 'release', object, markUnassigned: true }],
        }),
      ]),
    );
    expect(h.log).toEqual([]);
  });

  test('assigned identities of deleted nodes are removed without any ARM call (row 36)', async () => {
    const h = harness({});
    await h.executor.execute(plan([], [assigned('orphan', 'Assigned')]));
    expect(h.armCalls).toEqual([]);
    expect(h.log).toEqual(['remove orphan']);
  });

  test('service principals (no ARM delta) are created directly as Assigned, without ARM', async () => {
    const object = assigned('sp');
    const h = harness({});
    await h.executor.execute(
      plan([
        targetPlan({
          writes: [{ op: 'create', object }],
          pending: [{ object, resourceId: undefined }],
          onSuccess: [{ action: 'mark-assigned', object }],
        }),
      ]),
    );
    expect(h.armCalls).toEqual([]);
    expect(h.log).toEqual(['create sp (Assigned)']);
    expect(h.events).toEqual(['applied sp']);
  });
});

describe('PlanExecutor: identities already on the target', () => {
  const confirmed = (names: string[]) => targetPlan({ ...creating(names), confirmedResourceIds: [idA] });

  test('confirmed by an earlier cycle and still there: one write, directly Assigned, no ARM update', async () => {
    const h = harness({ onTarget: [idA.toUpperCase()] });
    const summary = await h.executor.execute(plan([confirmed(['p1', 'p2'])]));
    expect(h.log.sort()).toEqual(['create p1 (Assigned)', 'create p2 (Assigned)']);
    expect(h.armCalls).toEqual([]);
    expect(h.reads()).toBe(1);
    expect(h.events.sort()).toEqual(['applied p1', 'applied p2']);
    expect(summary).toMatchObject({ created: 2, assigned: 2, armPatches: 0 });
  });

  test('confirmed but gone from the target since: the regular path puts it back', async () => {
    const h = harness({ onTarget: [] });
    await h.executor.execute(plan([confirmed(['p1'])]));
    expect(h.log).toEqual(['create p1 (Created)', 'status p1 Assigned']);
    expect(h.armCalls).toEqual([{ add: [idA], remove: [] }]);
  });

  test('not confirmed: no extra read before the regular path', async () => {
    const h = harness({ onTarget: [idA] });
    await h.executor.execute(plan([targetPlan(creating(['p1']))]));
    expect(h.reads()).toBe(0);
    expect(h.log).toEqual(['create p1 (Created)', 'status p1 Assigned']);
  });

  test('a removal on the same target keeps the regular path', async () => {
    const h = harness({ onTarget: [idA, idB] });
    await h.executor.execute(
      plan([targetPlan({ ...creating(['p1']), confirmedResourceIds: [idA], delta: { add: [idA], remove: [idB] } })]),
    );
    expect(h.armCalls).toEqual([{ add: [idA], remove: [idB] }]);
    expect(h.log).toEqual(['create p1 (Created)', 'status p1 Assigned']);
  });

  test('a failed direct write is reported and nothing else happens to it', async () => {
    const h = harness({ onTarget: [idA], failCreate: ['p1'] });
    const summary = await h.executor.execute(plan([confirmed(['p1'])]));
    expect(h.log).toEqual([]);
    expect(h.events[0]).toMatch(/^apply-error p1: failed to create AzureAssignedIdentity default\/p1: conflict/);
    expect(summary).toMatchObject({ failedWrites: 1, assigned: 0 });
  });

  test('targets that need an ARM update write first; the others write while the update runs', async () => {
    const h = harness({ onTarget: [idA] });
    await h.executor.execute(
      plan([
        targetPlan({ ...creating(['p1', 'p2']), key: 'vmss-a', confirmedResourceIds: [idA] }),
        targetPlan({ ...creating(['q1'], idB), key: 'vmss-b' }),
      ]),
    );
    expect(h.log.indexOf('create q1 (Created)')).toBeLessThan(h.log.indexOf('create p1 (Assigned)'));
    expect(h.log.indexOf('create q1 (Created)')).toBeLessThan(h.log.indexOf('create p2 (Assigned)'));
    expect(h.armCalls).toEqual([{ add: [idB], remove: [] }]);
    expect(h.log).toContain('status q1 Assigned');
  });

  test('a slow read of a candidate target does not hold back the other targets', async () => {
    let answerReads: () => void = () => {};
    const readsAnswer = new Promise<void>((resolve) => {
      answerReads = resolve;
    });
    const h = harness({ onTarget: [idA], readsAnswer });
    const execution = h.executor.execute(
      plan([
        targetPlan({ ...creating(['p1']), key: 'vmss-a', confirmedResourceIds: [idA] }),
        targetPlan({ ...creating(['q1'], idB), key: 'vmss-b' }),
      ]),
    );
    while (!h.log.includes('status q1 Assigned')) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(h.log).not.toContain('create p1 (Assigned)');
    answerReads();
    await execution;
    expect(h.log).toContain('create p1 (Assigned)');
  });

  test('a Created object retried beside the new ones still gets its status patch', async () => {
    const retried = assigned('old');
    const h = harness({ onTarget: [idA] });
    const fresh = creating(['p1']);
    await h.executor.execute(
      plan([
        targetPlan({
          ...fresh,
          confirmedResourceIds: [idA],
          pending: [...(fresh.pending ?? []), { object: retried, resourceId: idA }],
          onSuccess: [...(fresh.onSuccess ?? []), { action: 'mark-assigned', object: retried }],
        }),
      ]),
    );
    expect(h.log.sort()).toEqual(['create p1 (Assigned)', 'status old Assigned']);
    expect(h.armCalls).toEqual([]);
  });
});
