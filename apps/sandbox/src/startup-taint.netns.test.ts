/**
 * Issue 16 in the sandbox's `--netns` mode: nodes registered with NMI's start-up taint take no pod until their NMI
 * serves, and a request that escapes NMI reaches the node's own IMDS at 169.254.169.254 (and is counted). Needs root,
 * iproute2, iptables and curl (CI); otherwise one skip line.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Sandbox, startSandbox } from './sandbox.js';
import { decodeJwtClaims } from './workload-request.js';

const RESOURCE = 'https://vault.azure.net';
const missing = ['ip', 'iptables', 'curl', 'conntrack'].filter(
  (binary) => spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0,
);
const canRun = process.getuid?.() === 0 && missing.length === 0;
if (!canRun) {
  process.stdout.write(
    `SKIP sandbox netns start-up taint: needs root and ${['ip', 'iptables', 'curl', 'conntrack'].join(', ')}` +
      ` (missing: ${missing.join(', ') || 'root'})\n`,
  );
}

(canRun ? describe : describe.skip)('sandbox --netns: start-up taint and the node IMDS at 169.254.169.254', () => {
  let sandbox: Sandbox;
  const progress: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({
      netns: true,
      nmi: false,
      startupTaint: true,
      world: { scaleSets: 0, virtualMachines: 1, identities: 1 },
      removeWorkDirOnClose: true,
      onProgress: (line) => progress.push(line),
    });
  }, 120_000);

  afterAll(async () => {
    await sandbox?.close();
  });

  test('a pod pinned to a node without NMI reaches the node IMDS, and the relay counts it', async () => {
    const nodeName = sandbox.azure.world.nodes[0]!.name;
    // spec.nodeName set: no scheduler involved (like a static or DaemonSet pod), so the taint does not stop it.
    const pinned = await sandbox.createPod({ name: 'pinned', nodeName });
    expect(sandbox.nodeImdsConnections(nodeName, pinned.podIP)).toBe(0);
    const answer = await sandbox.requestFromPod(pinned, '/metadata/instance?api-version=2021-02-01');
    expect(answer.status).toBe(200); // the node's own IMDS answered: this is the leak the taint and redirect close
    expect(sandbox.nodeImdsConnections(nodeName, pinned.podIP)).toBe(1);
    await sandbox.deletePod(pinned);
  });

  test('a pod created before NMI is ready stays unscheduled, then is scheduled and gets its own token', async () => {
    const identity = sandbox.azure.world.identities[0]!;
    const nodeName = sandbox.azure.world.nodes[0]!.name;
    await sandbox.createIdentity({ kind: 'user-assigned', name: 'early', identity });
    await sandbox.createBinding({ name: 'early', identityName: 'early', selector: 'early' });
    const created = sandbox.createPod({ name: 'early', labels: { aadpodidbinding: 'early' } }, { timeoutMs: 90_000 });
    await sandbox.eventually(
      () => progress.some((line) => line.startsWith('pod default/early is unschedulable')),
      'the stand-in scheduler to refuse the tainted node',
    );
    const waiting = await sandbox.kube.rest.get('pods', 'default', 'early');
    expect((waiting?.['spec'] as { nodeName?: string } | undefined)?.nodeName).toBeUndefined();

    await sandbox.startNmi(nodeName);
    const pod = await created;
    expect(pod.nodeName).toBe(nodeName);
    const node = await sandbox.kube.rest.get('nodes', undefined, nodeName);
    expect((node?.['spec'] as { taints?: unknown[] } | undefined)?.taints ?? []).toEqual([]);
    expect(progress.indexOf(`node ${nodeName} accepts pods: its NMI removed the start-up taint`)).toBeGreaterThan(-1);

    await sandbox.waitForAssigned(pod, { timeoutMs: 60_000 });
    const answer = await sandbox.fetchToken(pod, RESOURCE);
    expect(answer.status).toBe(200);
    const claims = decodeJwtClaims(String((answer.json as { access_token?: string }).access_token));
    expect(claims['appid']).toBe(identity.clientId);
    // Answered by NMI through the redirect, never by the node's IMDS.
    expect(sandbox.nodeImdsConnections(nodeName, pod.podIP)).toBe(0);
  }, 120_000);
});
