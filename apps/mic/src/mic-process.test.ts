/**
 * The built MIC as a child process against kube-emulator and azure-emulator, over real protocols with the real
 * clients (@kubernetes/client-node, @azure/arm-compute, @azure/identity) inside MIC.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, MIC_MAIN, MicWorld, requireBuiltMic } from './test-support/mic-world.js';

beforeAll(() => requireBuiltMic());

const statusesOf = async (world: MicWorld) =>
  (await world.assignedIdentities()).map((item) => item.status?.status ?? '').sort();

describe('MIC process: one pod', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('a labelled pod goes from nothing to Assigned with the identity on its VMSS, and back to nothing', async () => {
    const [node] = await world.scaleSet('pool-a', 2);
    const identity = await world.createIdentityAndBinding('web-identity', 'web');
    const mic = world.startMic(['--clientQps=100']);
    await mic.waitForLine(/sync loop started/);
    await world.createPod('web-0', node as string, 'web');

    const assigned = await eventually('an Assigned AzureAssignedIdentity', async () => {
      const items = await world.assignedIdentities();
      return items.length === 1 && items[0]?.status?.status === 'Assigned' ? items[0] : undefined;
    });
    expect(assigned.metadata.labels).toEqual({ nodename: node });
    expect(assigned.metadata.finalizers).toEqual(['azureassignedidentity.finalizers.aadpodidentity.k8s.io']);
    expect(assigned.spec.pod).toBe('web-0');
    expect(world.scaleSetIdentities('pool-a')).toEqual([identity.resourceId.toLowerCase()]);

    await world.deletePod('web-0');
    await eventually('the assigned identity to be deleted', async () =>
      (await world.assignedIdentities()).length === 0 ? true : undefined,
    );
    expect(world.scaleSetIdentities('pool-a')).toEqual([]);
    expect(await mic.stop()).toBe(0);
  });
});

describe('MIC process: a burst of 500 pods over 10 VMSSs with 1 s ARM updates', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start({ scaleSetUpdateMs: 1000 });
  });
  afterAll(async () => {
    await world.close();
  });

  test('all reach Assigned with at most 2 PATCHes per VMSS (events are coalesced)', async () => {
    const nodes: string[] = [];
    for (let v = 0; v < 10; v++) nodes.push(...(await world.scaleSet(`burst-${v}`, 1)));
    for (let i = 0; i < 5; i++) await world.createIdentityAndBinding(`burst-id-${i}`, `app-${i}`);
    // A long lease: this test is about coalescing, and the API server shares a loaded CI machine with other suites.
    const mic = world.startMic(['--createDeleteBatch=50', '--clientQps=1000', '--leader-election-duration=60s']);
    await mic.waitForLine(/sync loop started/);
    world.azure.admin.resetCounters();

    // 20 clients creating pods at once, like a deployment controller, rather than 500 requests in one instant.
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 500) {
          const i = next++;
          await world.createPod(`pod-${i}`, nodes[i % 10] as string, `app-${i % 5}`);
        }
      }),
    );
    let last: string[] = [];
    await eventually(
      '500 Assigned',
      async () => {
        last = await statusesOf(world);
        return last.length === 500 && last.every((s) => s === 'Assigned') ? true : undefined;
      },
      90_000,
    ).catch((error: Error) => {
      const tally = new Map<string, number>();
      for (const status of last) tally.set(status, (tally.get(status) ?? 0) + 1);
      const counts = [...tally].map(([status, count]) => `${status || '(none)'}:${count}`);
      throw new Error(`${error.message} (${counts.join(', ')})\n${mic.lines.slice(-25).join('\n')}`);
    });
    const patchesPerScaleSet = new Map<string, number>();
    for (const entry of world.azure.admin.patchLog()) {
      patchesPerScaleSet.set(entry.resourceId, (patchesPerScaleSet.get(entry.resourceId) ?? 0) + 1);
    }
    expect(patchesPerScaleSet.size).toBe(10);
    expect(Math.max(...patchesPerScaleSet.values())).toBeLessThanOrEqual(2);
    const code = await mic.stop();
    expect({ code, tail: code === 0 ? [] : mic.lines.slice(-15) }).toEqual({ code: 0, tail: [] });
  }, 120_000);
});

describe('MIC process: bad command lines', () => {
  test.each([
    [['--syncRetryDuration=soon'], /--syncRetryDuration/],
    [['--createDeleteBatch=0'], /--createDeleteBatch/],
    [['--log-format=xml'], /unknown logging format/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
  ])('%j exits 2 naming the flag', (args, message) => {
    const result = spawnSync(process.execPath, [MIC_MAIN, ...args], {
      env: { ...process.env, MIC_POD_NAMESPACE: 'default' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  test('a missing MIC_POD_NAMESPACE exits 2 with upstream’s message', () => {
    const env = { ...process.env };
    delete env['MIC_POD_NAMESPACE'];
    const result = spawnSync(process.execPath, [MIC_MAIN], { env, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'namespace not specified. Please add meta.namespace as env variable MIC_POD_NAMESPACE',
    );
  });

  test('--version prints the version and exits 0', () => {
    const result = spawnSync(process.execPath, [MIC_MAIN, '--version'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^@podid\/mic \d+\.\d+\.\d+ \(commit \S+, built \S+\)\n$/);
  });

  test('an unreadable cloud config exits 2 with a clear message', () => {
    const result = spawnSync(
      process.execPath,
      [MIC_MAIN, '--cloudconfig=/nonexistent/azure.json', '--log-format=json'],
      {
        env: { ...process.env, MIC_POD_NAMESPACE: 'default' },
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('invalid cloud configuration');
    expect(result.stderr).toContain('failed to read cloud config /nonexistent/azure.json');
  });
});
