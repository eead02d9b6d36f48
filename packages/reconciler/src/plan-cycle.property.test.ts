import { describe, expect, test } from '@jest/globals';
import type { AzureAssignedIdentity } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import fc from 'fast-check';
import { resolveNodeTarget } from './arm-target-resolution.js';
import { planCycle } from './plan-cycle.js';
import type { Plan } from './plan-types.js';
import { SimulatedCluster } from './test-support/cluster-simulation.js';
import {
  buildRandomCluster,
  type RandomCluster,
  type RandomClusterSeed,
  randomClusterSeedArb,
} from './test-support/random-cluster.js';

const NUM_RUNS = 250;

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const lowerResourceId = (d: DesiredAssignment) =>
  (d.identity.spec.type ?? 0) === 0 ? (d.identity.spec.resourceID ?? '').toLowerCase() : undefined;

/** Independent oracle: does this object already record `d` (the fields the generator varies)? */
function reflects(object: AzureAssignedIdentity, d: DesiredAssignment): boolean {
  const id = object.spec.azureIdentityRef;
  const b = object.spec.azureBindingRef;
  return (
    object.spec.pod === d.podName &&
    object.spec.podNamespace === d.podNamespace &&
    object.spec.nodename === d.nodeName &&
    id?.metadata.name === d.identity.metadata.name &&
    (id.spec.type ?? 0) === (d.identity.spec.type ?? 0) &&
    (id.spec.clientID ?? '').toLowerCase() === (d.identity.spec.clientID ?? '').toLowerCase() &&
    (id.spec.resourceID ?? '').toLowerCase() === (d.identity.spec.resourceID ?? '').toLowerCase() &&
    b?.metadata.name === d.binding.metadata.name &&
    b.spec.selector === d.binding.spec.selector
  );
}

function targetKeyOfNode(cluster: RandomCluster, nodeName: string | undefined): string | undefined {
  const node = cluster.nodesAfter.find((n) => n.name === nodeName);
  if (node === undefined) return undefined;
  const resolution = resolveNodeTarget(node, cluster.config);
  return resolution.kind === 'target' ? resolution.key : undefined;
}

/** Runs moment one (with ARM failures and some legacy statuses) and plans moment two. */
function scenario(seed: RandomClusterSeed) {
  const cluster = buildRandomCluster(seed);
  const sim = new SimulatedCluster([], cluster.initialArm);
  const first = planCycle({
    desired: cluster.desiredBefore,
    current: [],
    nodes: cluster.nodesBefore,
    config: cluster.config,
  });
  let call = 0;
  sim.execute(first, () => seed.armFailures[call++] ?? 'succeed');
  sim.current().forEach((object, i) => {
    if (seed.legacyStatus[i] && object.status?.status === 'Assigned') {
      const { status: _legacy, ...withoutStatus } = object;
      sim.assigned.set(keyOf(object.metadata.namespace, object.metadata.name), withoutStatus);
    }
  });
  const current = sim.current();
  const plan = planCycle({ desired: cluster.desiredAfter, current, nodes: cluster.nodesAfter, config: cluster.config });
  return { cluster, sim, current, plan };
}

function placedDesired(cluster: RandomCluster): Array<{ d: DesiredAssignment; targetKey: string }> {
  return cluster.desiredAfter.flatMap((d) => {
    const targetKey = targetKeyOfNode(cluster, d.nodeName);
    return targetKey === undefined ? [] : [{ d, targetKey }];
  });
}

function targetOf(plan: Plan, key: string) {
  return plan.targets.find((t) => t.key === key);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('planCycle properties over random clusters', () => {
  test('pure: never mutates its input (deeply frozen) and gives equal plans for equal input', () => {
    fc.assert(
      fc.property(randomClusterSeedArb, (seed) => {
        const { cluster, current } = scenario(seed);
        const input = deepFreeze({
          desired: cluster.desiredAfter,
          current,
          nodes: cluster.nodesAfter,
          config: cluster.config,
        });
        expect(planCycle(input)).toEqual(planCycle(structuredClone(input)));
      }),
      { numRuns: 100 },
    );
  });

  test('no removal of an identity in use on the same VM/VMSS, protected, or referenced by no AzureAssignedIdentity', () => {
    fc.assert(
      fc.property(randomClusterSeedArb, (seed) => {
        const { cluster, current, plan } = scenario(seed);
        const placed = placedDesired(cluster);
        for (const target of plan.targets) {
          for (const id of target.delta.remove) {
            expect(id).toBe(id.toLowerCase());
            expect(cluster.protectedResourceIds.has(id)).toBe(false);
            expect(id).not.toBe(cluster.manualResourceId);
            const usedHere = placed.some(({ d, targetKey }) => targetKey === target.key && lowerResourceId(d) === id);
            expect(usedHere).toBe(false);
            const referenced = current.some(
              (c) =>
                (c.status?.status ?? '') !== 'Created' &&
                (c.spec.azureIdentityRef?.spec.resourceID ?? '').toLowerCase() === id &&
                targetKeyOfNode(cluster, c.spec.nodename) === target.key,
            );
            expect(referenced).toBe(true);
          }
          expect(target.delta.add.filter((id) => target.delta.remove.includes(id))).toEqual([]);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('every desired assignment on a known node is already Assigned or in the plan of its target', () => {
    fc.assert(
      fc.property(randomClusterSeedArb, (seed) => {
        const { cluster, current, plan } = scenario(seed);
        for (const { d, targetKey } of placedDesired(cluster)) {
          const existing = current.find(
            (c) => keyOf(c.metadata.namespace, c.metadata.name) === keyOf(d.namespace, d.name),
          );
          const satisfied =
            existing !== undefined && reflects(existing, d) && ['Assigned', ''].includes(existing.status?.status ?? '');
          const pending = targetOf(plan, targetKey)?.pending.some(
            (p) =>
              p.object.metadata.name === d.name && p.object.metadata.namespace === d.namespace && reflects(p.object, d),
          );
          expect(satisfied || pending === true).toBe(true);
          if (pending && lowerResourceId(d) !== undefined) {
            expect(targetOf(plan, targetKey)?.delta.add).toContain(lowerResourceId(d));
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('at most one target per VMSS (and per VM) in a plan', () => {
    fc.assert(
      fc.property(randomClusterSeedArb, (seed) => {
        const { plan } = scenario(seed);
        const keys = plan.targets.map((t) => t.key);
        expect(new Set(keys).size).toBe(keys.length);
        // Generated scale-set nodes are named `<vmss>-<instance>`; every target serving one is that scale set.
        const targetsPerScaleSet = new Map<string, number>();
        for (const target of plan.targets) {
          const scaleSets = new Set(
            target.nodeNames.filter((n) => n.startsWith('pool')).map((n) => n.slice(0, n.lastIndexOf('-'))),
          );
          expect(scaleSets.size).toBeLessThanOrEqual(1);
          for (const name of scaleSets) {
            expect(target.target).toMatchObject({ kind: 'vmss', name });
            targetsPerScaleSet.set(name, (targetsPerScaleSet.get(name) ?? 0) + 1);
          }
        }
        for (const count of targetsPerScaleSet.values()) expect(count).toBe(1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('idempotence: applying the success results and planning again yields an empty plan; ARM holds what is desired', () => {
    fc.assert(
      fc.property(randomClusterSeedArb, (seed) => {
        const { cluster, sim, plan } = scenario(seed);
        const protectedBefore = new Map(
          [...sim.arm].map(([key, state]) => [
            key,
            state.userAssignedIdentityIds.filter((id) => cluster.protectedResourceIds.has(id)),
          ]),
        );
        const bodiesBefore = new Map(sim.patchBodies);
        sim.executeSuccessfully(plan);
        for (const [key, count] of sim.patchBodies) {
          expect(count - (bodiesBefore.get(key) ?? 0)).toBeLessThanOrEqual(1); // small clusters: never a 150 split
        }

        const again = planCycle({
          desired: cluster.desiredAfter,
          current: sim.current(),
          nodes: cluster.nodesAfter,
          config: cluster.config,
        });
        expect(again.targets).toEqual([]);
        expect(again.releasesWithoutArm).toEqual([]);

        for (const { d, targetKey } of placedDesired(cluster)) {
          const id = lowerResourceId(d);
          if (id !== undefined) expect(sim.identitiesOn(targetKey)).toContain(id);
        }
        for (const [key, state] of sim.arm) {
          expect(state.userAssignedIdentityIds).toContain(cluster.manualResourceId);
          expect(state.type).toBe('SystemAssigned, UserAssigned');
          for (const id of protectedBefore.get(key) ?? []) expect(state.userAssignedIdentityIds).toContain(id);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
