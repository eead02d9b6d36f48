/**
 * MIC under the failures a controller meets: two replicas and a crashed leader, and a pod churn while the API server
 * drops watches and answers 410 Gone. The built MIC runs as child processes against both emulators.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, MicWorld, requireBuiltMic } from './test-support/mic-world.js';

beforeAll(() => requireBuiltMic());

interface Lease {
  spec?: { holderIdentity?: string };
}

describe('MIC leader election', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('two replicas: exactly one leads; killing it hands over and work continues without duplicate writes', async () => {
    const [node] = await world.scaleSet('ha', 1);
    await world.createIdentityAndBinding('ha-identity', 'ha');
    const flags = ['--leader-election-duration=6s', '--clientQps=100'];
    const first = world.startMic(flags, 'mic-a');
    await first.waitForLine(/sync loop started/);
    const second = world.startMic(flags, 'mic-b');
    await second.waitForLine(/attempting to acquire leader lease/);

    const lease = (await world.request(
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/default/leases/aad-pod-identity-mic',
    )) as Lease;
    expect(lease.spec?.holderIdentity).toBe('mic-a');
    await world.createPod('ha-0', node as string, 'ha');
    await eventually('ha-0 Assigned', async () => {
      const items = await world.assignedIdentities();
      return items.length === 1 && items[0]?.status?.status === 'Assigned' ? true : undefined;
    });
    expect(second.lines.some((line) => /sync loop started/.test(line))).toBe(false);

    // A crash, not a clean stop: the lease is not released and must expire.
    await first.stop('SIGKILL');
    await second.waitForLine(/sync loop started/, 30_000);
    await world.createPod('ha-1', node as string, 'ha');
    await eventually('both Assigned by the new leader', async () => {
      const items = await world.assignedIdentities();
      return items.length === 2 && items.every((item) => item.status?.status === 'Assigned') ? true : undefined;
    });
    const holder = (await world.request(
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/default/leases/aad-pod-identity-mic',
    )) as Lease;
    expect(holder.spec?.holderIdentity).toBe('mic-b');
    // The new leader found ha-0 already Assigned and did not write it again.
    const failedWrites = second.lines.filter((line) => /failed to (create|update) AzureAssignedIdentity/.test(line));
    expect(failedWrites).toEqual([]);
    expect(await second.stop()).toBe(0);
  }, 90_000);
});

describe('MIC under watch faults', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('a 1,000-pod churn with dropped watches and 410s ends exactly in the desired state', async () => {
    const nodes: string[] = [];
    for (let v = 0; v < 4; v++) nodes.push(...(await world.scaleSet(`churn-${v}`, 2)));
    const identities = [];
    for (let i = 0; i < 4; i++) identities.push(await world.createIdentityAndBinding(`churn-id-${i}`, `churn-${i}`));
    const mic = world.startMic(['--clientQps=2000', '--createDeleteBatch=50', '--leader-election-duration=60s']);
    await mic.waitForLine(/sync loop started/);

    // Deterministic pseudo-random churn: creates, and deletes of earlier pods, with watch faults in between.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const live = new Map<string, number>(); // pod name -> identity index
    for (let i = 0; i < 1000; i++) {
      if (live.size > 0 && random() < 0.3) {
        const names = [...live.keys()];
        const victim = names[Math.floor(random() * names.length)] as string;
        live.delete(victim);
        await world.deletePod(victim);
      } else {
        const identity = Math.floor(random() * identities.length);
        const name = `churn-pod-${i}`;
        live.set(name, identity);
        await world.createPod(name, nodes[i % nodes.length] as string, `churn-${identity}`);
      }
      if (i % 100 === 50) world.kube.admin.closeAllWatches();
      if (i % 100 === 99) {
        world.kube.admin.expireNextWatch(3);
        world.kube.admin.closeAllWatches();
      }
    }

    const expectedPods = [...live.keys()].sort();
    await eventually(
      'assigned identities to match the live pods, all Assigned',
      async () => {
        const items = await world.assignedIdentities();
        const pods = items.map((item) => item.spec.pod ?? '').sort();
        const allAssigned = items.every((item) => item.status?.status === 'Assigned');
        return allAssigned && JSON.stringify(pods) === JSON.stringify(expectedPods) ? true : undefined;
      },
      90_000,
    );
    // Each VMSS holds exactly the identities its live pods use.
    for (let v = 0; v < 4; v++) {
      const used = new Set<string>();
      for (const [name, identity] of live) {
        const index = Number(name.slice('churn-pod-'.length));
        const node = nodes[index % nodes.length] as string;
        if (node.startsWith(`churn-${v}-`)) used.add((identities[identity]?.resourceId ?? '').toLowerCase());
      }
      await eventually(`churn-${v} identities`, async () =>
        JSON.stringify(world.scaleSetIdentities(`churn-${v}`)) === JSON.stringify([...used].sort()) ? true : undefined,
      );
    }
    expect(await mic.stop()).toBe(0);
  }, 180_000);
});
