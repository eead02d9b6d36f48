import { expect } from '@jest/globals';
import type { AzureAssignedIdentity } from '@podid/crd-types';
import { armTargetKey } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import type { ClusterNode } from '../arm-target-resolution.js';
import { planCycle, type ReconcilerConfig } from '../plan-cycle.js';
import type { Plan, TargetPlan } from '../plan-types.js';
import { baseConfig, identity, RESOURCE_GROUP, SUBSCRIPTION, vmNode } from './cluster-fixtures.js';
import type { SimulatedCluster } from './cluster-simulation.js';

/** Shorthands shared by the planCycle table tests. */

export const vmKey = (name: string) =>
  armTargetKey({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name });
export const vmssKey = (name: string) =>
  armTargetKey({ kind: 'vmss', subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name });
export const lower = (id: string) => id.toLowerCase();

export function plan(
  desired: DesiredAssignment[],
  current: readonly AzureAssignedIdentity[],
  nodes: ClusterNode[],
  config: ReconcilerConfig = baseConfig,
): Plan {
  return planCycle({ desired, current, nodes, config });
}

export function onlyTarget(result: Plan): TargetPlan {
  expect(result.targets).toHaveLength(1);
  return result.targets[0]!;
}

/** Plans and executes with ARM succeeding, then checks nothing is left to do; returns the simulation. */
export function converge(
  cluster: SimulatedCluster,
  desired: DesiredAssignment[],
  nodes: ClusterNode[],
  config: ReconcilerConfig = baseConfig,
): SimulatedCluster {
  cluster.executeSuccessfully(plan(desired, cluster.current(), nodes, config));
  const again = plan(desired, cluster.current(), nodes, config);
  expect(again.targets).toEqual([]);
  expect(again.releasesWithoutArm).toEqual([]);
  return cluster;
}

export const nodeA = vmNode('node-a');
export const idX = identity('x');
export const podP = { name: 'p', node: 'node-a' };
