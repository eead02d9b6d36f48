import type { ArmIdentityState, AzureIdentity } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import fc from 'fast-check';
import type { ClusterNode } from '../arm-target-resolution.js';
import { resolveNodeTarget } from '../arm-target-resolution.js';
import type { ReconcilerConfig } from '../plan-cycle.js';
import { baseConfig, binding, desire, identity, uamiId, vmNode, vmssNode } from './cluster-fixtures.js';

/**
 * Random clusters for property tests: VMSS and VM nodes (plus a non-Azure node), user-assigned and SP identities,
 * some referring to the same managed identity, some protected (immutable / cluster identity), pods in two
 * namespaces sharing names, and two "moments": desired state before and after a change (pods come and go, nodes
 * disappear, identities are edited materially or not). The reconciler is exercised on the second moment, starting
 * from the state an execution of the first (with random ARM failures) left behind.
 */

type Protection = 'none' | 'immutable' | 'cluster';
type Edit = 'same' | 'resource-version' | 'material';

interface IdentitySeed {
  readonly type: number;
  /** Refers to the same managed identity as an earlier seed (same clientID/resourceID, other letter case). */
  readonly aliasOf: number | null;
  readonly upperCase: boolean;
  readonly protection: Protection;
  readonly edit: Edit;
}

interface PodSeed {
  readonly name: string;
  readonly namespace: string;
  readonly node: number;
  readonly identities: readonly number[];
}

export interface RandomClusterSeed {
  readonly vmssSizes: readonly number[];
  readonly vmCount: number;
  readonly identities: readonly IdentitySeed[];
  readonly before: readonly PodSeed[];
  /** Which `before` pods still exist in the second moment (the rest are deleted). */
  readonly kept: readonly boolean[];
  /** Pods that appear in the second moment. */
  readonly after: readonly PodSeed[];
  readonly removedNodes: readonly boolean[];
  readonly armFailures: readonly ('succeed' | 'fail' | 'fail-after-applying')[];
  readonly legacyStatus: readonly boolean[];
}

const podSeedArb = fc.record({
  name: fc.constantFrom('web', 'api', 'job'),
  namespace: fc.constantFrom('a', 'b'),
  node: fc.nat({ max: 12 }),
  identities: fc.uniqueArray(fc.nat({ max: 5 }), { maxLength: 3 }),
});

export const randomClusterSeedArb: fc.Arbitrary<RandomClusterSeed> = fc.record({
  vmssSizes: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
  vmCount: fc.integer({ min: 0, max: 3 }),
  identities: fc.array(
    fc.record({
      type: fc.constantFrom(0, 0, 0, 1),
      aliasOf: fc.option(fc.nat({ max: 5 }), { freq: 4 }),
      upperCase: fc.boolean(),
      protection: fc.constantFrom<Protection>('none', 'none', 'none', 'immutable', 'cluster'),
      edit: fc.constantFrom<Edit>('same', 'same', 'resource-version', 'material'),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  before: fc.array(podSeedArb, { maxLength: 10 }),
  kept: fc.array(fc.boolean(), { maxLength: 10 }),
  after: fc.array(podSeedArb, { maxLength: 6 }),
  removedNodes: fc.array(fc.boolean(), { maxLength: 10 }),
  armFailures: fc.array(fc.constantFrom('succeed' as const, 'fail' as const, 'fail-after-applying' as const), {
    maxLength: 10,
  }),
  legacyStatus: fc.array(fc.boolean(), { maxLength: 20 }),
});

export interface RandomCluster {
  readonly nodesBefore: readonly ClusterNode[];
  readonly nodesAfter: readonly ClusterNode[];
  readonly desiredBefore: readonly DesiredAssignment[];
  readonly desiredAfter: readonly DesiredAssignment[];
  readonly config: ReconcilerConfig;
  /** Lower-cased resourceIDs of identities whose clientID is immutable or the cluster identity. */
  readonly protectedResourceIds: ReadonlySet<string>;
  /** Identity on every target that no AzureIdentity mentions. */
  readonly manualResourceId: string;
  readonly initialArm: ReadonlyArray<[string, ArmIdentityState]>;
}

const UNMAPPABLE_NODE: ClusterNode = { name: 'virtual-node', providerID: 'vk://aci/virtual-node' };

export function buildRandomCluster(seed: RandomClusterSeed): RandomCluster {
  const nodesBefore: ClusterNode[] = [UNMAPPABLE_NODE];
  seed.vmssSizes.forEach((size, s) => {
    for (let i = 0; i < size; i++) nodesBefore.push(vmssNode(`pool${s}`, i));
  });
  for (let v = 0; v < seed.vmCount; v++) nodesBefore.push(vmNode(`vm${v}`));
  const nodesAfter = nodesBefore.filter((_, i) => !seed.removedNodes[i]);

  const immutable: string[] = [];
  let clusterIdentity: string | undefined;
  const protectedResourceIds = new Set<string>();
  const versions = seed.identities.map((s, i) => {
    const base = s.aliasOf !== null && s.aliasOf < i ? s.aliasOf : i;
    const caseOf = (text: string) => (s.upperCase ? text.toUpperCase() : text);
    const clientID = caseOf(`client-${base}`);
    const resourceID = caseOf(uamiId(`mi-${base}`));
    if (s.protection === 'immutable') immutable.push(`client-${base}`.toUpperCase());
    if (s.protection === 'cluster') clusterIdentity = `client-${base}`;
    const before = identity(`id${i}`, { type: s.type, clientID, resourceID });
    const after: AzureIdentity =
      s.edit === 'same'
        ? before
        : s.edit === 'resource-version'
          ? identity(`id${i}`, { type: s.type, clientID, resourceID, resourceVersion: '2', labels: { touched: 'yes' } })
          : identity(`id${i}`, {
              type: s.type,
              clientID: `${clientID}-v2`,
              resourceID: `${resourceID}-v2`,
              resourceVersion: '2',
            });
    return { before, after };
  });
  // Protection is by clientID, so a protected clientID protects every identity version that carries it.
  const protectedClientIds = new Set([...immutable, clusterIdentity ?? ''].map((id) => id.toLowerCase()));
  for (const { before, after } of versions) {
    for (const version of [before, after]) {
      if (version.spec.type === 0 && protectedClientIds.has((version.spec.clientID ?? '').toLowerCase())) {
        protectedResourceIds.add((version.spec.resourceID ?? '').toLowerCase());
      }
    }
  }

  const desiredFor = (pods: readonly PodSeed[], moment: 'before' | 'after'): DesiredAssignment[] => {
    const seen = new Set<string>();
    const out: DesiredAssignment[] = [];
    for (const pod of pods) {
      const podKey = `${pod.namespace}/${pod.name}`;
      if (seen.has(podKey)) continue; // one pod per namespace/name, as in a real cluster
      seen.add(podKey);
      const node = nodesBefore[pod.node % nodesBefore.length]!;
      for (const index of pod.identities) {
        const version = versions[index % versions.length]![moment];
        const name = version.metadata.name;
        out.push(
          desire(
            { name: pod.name, namespace: pod.namespace, node: node.name },
            version,
            binding(`${name}-binding`, name),
          ),
        );
      }
    }
    // The same identity through two indexes would give the same object name twice; keep the first like the matcher.
    const names = new Set<string>();
    return out.filter((d) => !names.has(d.name) && names.add(d.name) !== undefined);
  };

  const config: ReconcilerConfig = {
    ...baseConfig,
    immutableClientIds: immutable,
    ...(clusterIdentity === undefined ? {} : { clusterIdentityClientId: clusterIdentity }),
  };
  const manualResourceId = uamiId('manual').toLowerCase();
  const initialArm: Array<[string, ArmIdentityState]> = [];
  for (const node of nodesBefore) {
    const resolution = resolveNodeTarget(node, config);
    if (resolution.kind === 'target') {
      initialArm.push([
        resolution.key,
        { type: 'SystemAssigned, UserAssigned', userAssignedIdentityIds: [manualResourceId] },
      ]);
    }
  }
  return {
    nodesBefore,
    nodesAfter,
    desiredBefore: desiredFor(seed.before, 'before'),
    desiredAfter: desiredFor([...seed.before.filter((_, i) => seed.kept[i] ?? true), ...seed.after], 'after'),
    config,
    protectedResourceIds,
    manualResourceId,
    initialArm,
  };
}
