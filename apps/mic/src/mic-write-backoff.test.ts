/**
 * A permanently failing AzureAssignedIdentity delete (kube-emulator fault injection) against the built MIC: it is
 * retried with per-object exponential back-off, so it costs a bounded number of calls, not ~9 cycles a second.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, MicWorld, requireBuiltMic } from './test-support/mic-world.js';

beforeAll(() => requireBuiltMic());

describe('MIC process: a delete the API server keeps refusing', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('costs a bounded number of attempts in a window, and succeeds once the server accepts it', async () => {
    const [node] = await world.scaleSet('stuck', 1);
    await world.createIdentityAndBinding('stuck-identity', 'stuck');
    await world.createPod('stuck-0', node as string, 'stuck');
    const mic = world.startMic(['--clientQps=100']);
    await mic.waitForLine(/sync loop started/);
    await eventually('Assigned', async () =>
      (await world.assignedIdentities())[0]?.status?.status === 'Assigned' ? true : undefined,
    );

    world.kube.admin.failNextRequests({
      count: 100_000,
      status: 500,
      verb: 'delete',
      resource: 'azureassignedidentities',
    });
    await world.deletePod('stuck-0');
    const attempts = () => mic.lines.filter((line) => line.includes('failed to delete AzureAssignedIdentity')).length;
    await eventually('the first failed delete', async () => (attempts() > 0 ? true : undefined));
    // Other objects keep changing meanwhile, so cycles run for reasons of their own.
    for (let i = 0; i < 30; i++) {
      await world.createPod(`noise-${i}`, node as string, 'no-binding');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // 6 s of window: back-off 1, 2, 4 s (the cycle retry 5 s) allows a handful; retrying in every cycle made ~50.
    expect(attempts()).toBeLessThanOrEqual(6);

    world.kube.admin.clearFaults();
    await eventually(
      'the delete to go through',
      async () => ((await world.assignedIdentities()).length === 0 ? true : undefined),
      60_000,
    );
    expect(await mic.stop()).toBe(0);
  }, 120_000);
});
