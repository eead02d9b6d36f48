import { describe, expect, test } from '@jest/globals';
import { IdentityType } from '@podid/crd-types';
import { FEDERATED_PLAN_KEY_SUFFIX } from './plan-cycle.js';
import { desire, identity, uamiId, vmssNode } from './test-support/cluster-fixtures.js';
import { SimulatedCluster } from './test-support/cluster-simulation.js';
import { converge, idX, lower, nodeA, plan, vmKey, vmssKey } from './test-support/plan-test-kit.js';

// A federated identity naming a user-assigned identity (whose federated credentials MIC may manage): the resourceID
// must still never reach a VM/VMSS.
const federated = identity('fed', {
  type: IdentityType.FederatedIdentity,
  resourceID: uamiId('fed'),
  clientID: 'client-fed',
});

describe('federated identities (type 3) at plan level', () => {
  test('no ARM delta: its own bucket with an empty delta, so the executor writes the object straight as Assigned', () => {
    const result = plan([desire({ name: 'p', node: 'node-a' }, federated)], [], [nodeA]);
    expect(result.targets).toHaveLength(1);
    const target = result.targets[0]!;
    expect(target.key).toBe(`${vmKey('node-a')}${FEDERATED_PLAN_KEY_SUFFIX}`);
    expect(target.delta).toEqual({ add: [], remove: [] });
    expect(target.writes).toHaveLength(1);
    expect(target.writes[0]!.op).toBe('create');
    expect(target.pending).toEqual([{ object: target.writes[0]!.object, resourceId: undefined }]);
  });

  test('next to a type-0 identity on the same scale set, it is not held behind that ARM update', () => {
    const nodes = [vmssNode('pool', 0), vmssNode('pool', 1)];
    const result = plan(
      [desire({ name: 'a', node: nodes[0]!.name }, idX), desire({ name: 'b', node: nodes[1]!.name }, federated)],
      [],
      nodes,
    );
    expect(result.targets.map((t) => [t.key, t.delta, t.writes.map((w) => w.object.spec.pod)])).toEqual([
      [vmssKey('pool'), { add: [lower(uamiId('x'))], remove: [] }, ['a']],
      [`${vmssKey('pool')}${FEDERATED_PLAN_KEY_SUFFIX}`, { add: [], remove: [] }, ['b']],
    ]);
  });

  test('converges, and releasing it never removes anything from the VM (not even its resourceID)', () => {
    const cluster = converge(new SimulatedCluster(), [desire({ name: 'p', node: 'node-a' }, federated)], [nodeA]);
    const release = plan([], cluster.current(), [nodeA]);
    expect(result(release)).toEqual([[`${vmKey('node-a')}${FEDERATED_PLAN_KEY_SUFFIX}`, { add: [], remove: [] }, 1]]);
  });
});

function result(p: ReturnType<typeof plan>) {
  return p.targets.map((t) => [t.key, t.delta, t.releases.length]);
}
