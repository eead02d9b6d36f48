/**
 * Upstream's "MIC leader change" e2e scenario (spec §7): two MIC processes; only the leader reports Active and
 * assigns; when it dies, the other takes the Lease over and keeps assigning identities.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { claimsOf, RESOURCE, type Sandbox, startE2eSandbox, uniqueName } from './support/e2e-sandbox.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startE2eSandbox({
    world: { scaleSets: 0, virtualMachines: 1, identities: 1 },
    micArgs: ['--leader-election-duration=4s'],
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
});

describe('MIC leader change', () => {
  test('killing the leading MIC hands the Lease to the standby, which keeps assigning', async () => {
    const identity = sandbox.azure.world.identities[0]!;
    const name = uniqueName('leader');
    await sandbox.createIdentity({ kind: 'user-assigned', name, identity });
    await sandbox.createBinding({ name, identityName: name, selector: name });

    const leader = sandbox.mics[0]!;
    const standby = await sandbox.startMic({ instance: 'mic-standby', waitActive: false });
    expect((await leader.process.probe())?.trim()).toBe('Active');
    expect((await standby.process.probe())?.trim()).toBe('Not Active');

    const before = await sandbox.createPod({ name: `${name}-before`, labels: { aadpodidbinding: name } });
    await sandbox.waitForAssigned(before);

    await leader.process.kill();
    await standby.process.waitUntil('active', 30_000);
    const lease = await sandbox.kube.rest.get('leases', 'default', 'aad-pod-identity-mic');
    expect(lease?.['spec']).toMatchObject({ holderIdentity: 'mic-standby' });

    const after = await sandbox.createPod({ name: `${name}-after`, labels: { aadpodidbinding: name } });
    await sandbox.waitForAssigned(after);
    expect(claimsOf(await sandbox.fetchToken(after, RESOURCE))['appid']).toBe(identity.clientId);
  }, 60_000);
});
