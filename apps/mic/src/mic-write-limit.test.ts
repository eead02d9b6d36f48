/**
 * `--createDeleteBatch` is one limit for all AzureAssignedIdentity writes in flight, as upstream's (issue 15 item
 * 13): measured at the API server, through a counting proxy in front of the kube-emulator.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, MicWorld, requireBuiltMic } from './test-support/mic-world.js';

beforeAll(() => requireBuiltMic());

/** Forwards everything to `target`; tracks the most AzureAssignedIdentity writes in flight at once. */
function countingProxy(target: string) {
  const stats = { inFlight: 0, maxInFlight: 0, writes: 0 };
  const server = http.createServer((req, res) => {
    const isWrite = req.method !== 'GET' && (req.url ?? '').includes('/azureassignedidentities');
    if (isWrite) {
      stats.writes++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    }
    let done = false;
    const finish = () => {
      if (isWrite && !done) {
        done = true;
        stats.inFlight--;
      }
    };
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', finish);
    });
    upstream.on('error', () => {
      finish();
      res.destroy();
    });
    res.on('close', finish);
    req.pipe(upstream);
  });
  return { server, stats };
}

describe('MIC process: --createDeleteBatch', () => {
  let world: MicWorld;
  let proxy: ReturnType<typeof countingProxy>;
  let kubeconfigPath: string;
  beforeAll(async () => {
    world = await MicWorld.start();
    proxy = countingProxy(world.kube.url);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.server.address() as { port: number };
    const kubeconfig = structuredClone(world.kube.kubeconfig);
    for (const cluster of kubeconfig.clusters) cluster.cluster.server = `http://127.0.0.1:${port}`;
    kubeconfigPath = path.join(world.dir, 'proxied-kubeconfig.json');
    fs.writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig));
  });
  afterAll(async () => {
    proxy.server.closeAllConnections();
    await new Promise((resolve) => proxy.server.close(resolve));
    await world.close();
  });

  test('flag 3 over 4 VMSSs: at most 3 writes in flight in total', async () => {
    const nodes: string[] = [];
    for (let v = 0; v < 4; v++) nodes.push(...(await world.scaleSet(`batch-${v}`, 1)));
    await world.createIdentityAndBinding('batch-identity', 'batch');
    for (let i = 0; i < 60; i++) await world.createPod(`batch-${i}`, nodes[i % 4] as string, 'batch');
    // Each write takes a while at the server, so concurrent writes overlap for sure.
    world.kube.admin.setLatency(25);
    const mic = world.startMic(['--createDeleteBatch=3', '--clientQps=1000'], 'mic-0', kubeconfigPath);
    await mic.waitForLine(/sync loop started/, 30_000);
    await eventually(
      '60 Assigned',
      async () => {
        const items = await world.assignedIdentities();
        return items.length === 60 && items.every((a) => a.status?.status === 'Assigned') ? true : undefined;
      },
      60_000,
    );
    for (let i = 0; i < 60; i++) await world.deletePod(`batch-${i}`);
    await eventually(
      'all deleted',
      async () => ((await world.assignedIdentities()).length === 0 ? true : undefined),
      60_000,
    );
    expect(proxy.stats.writes).toBeGreaterThanOrEqual(180); // 60 creates, 60 status patches, 60 deletes at least
    expect(proxy.stats.maxInFlight).toBe(3);
    expect(await mic.stop()).toBe(0);
  }, 180_000);
});
