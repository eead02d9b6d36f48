/**
 * Events on pods (issue 18) and redaction of what ARM sends back (issue 14): the built MIC against both emulators,
 * read back with the API and with the real `kubectl describe pod`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, MicWorld, requireBuiltMic } from './test-support/mic-world.js';

beforeAll(() => requireBuiltMic());

interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string };
}

async function podEvents(world: MicWorld): Promise<KubeEvent[]> {
  const list = (await world.request('GET', '/api/v1/namespaces/default/events')) as { items: KubeEvent[] };
  return list.items.filter((event) => event.involvedObject?.kind === 'Pod');
}

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ.c2lnbmF0dXJlLXBhcnQ';
const SECRETS = [JWT, 'hunter2-secret', 'SIGSECRET123', 'assertion-value-xyz'];
const ARM_TEXT = 'Policy podid-deny-all denied the request.';

describe('MIC process: a failing ARM PATCH', () => {
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test('each affected pod gets one Warning with ARM error text, secrets redacted in events and logs', async () => {
    const [node] = await world.scaleSet('denied', 1);
    await world.createIdentityAndBinding('denied-identity', 'denied');
    world.azure.admin.injectFault('arm', 'vmss_update', {
      status: 400,
      count: 10_000,
      message: `${ARM_TEXT} Request was: Authorization: Bearer ${JWT} body client_secret=hunter2-secret&client_assertion=assertion-value-xyz, blob https://acct.blob.core.windows.net/c/b?sv=2020&sig=SIGSECRET123&se=2030`,
    });
    const pods = ['denied-0', 'denied-1', 'denied-2'];
    for (const pod of pods) await world.createPod(pod, node as string, 'denied');
    const mic = world.startMic(['--clientQps=100']);
    await mic.waitForLine(/sync loop started/);

    await eventually('a Warning on each pod', async () => {
      const events = await podEvents(world);
      return pods.every((pod) =>
        events.some((e) => e.involvedObject?.name === pod && e.reason === 'IdentityAssignFailed'),
      )
        ? true
        : undefined;
    });
    // Let MIC retry at least once more: the repeat is not told again.
    await eventually('a retried ARM update', async () =>
      mic.lines.filter((line) => line.includes('identity update on ARM did not fully succeed')).length >= 2
        ? true
        : undefined,
    );
    const events = await podEvents(world);
    for (const pod of pods) {
      const mine = events.filter((e) => e.involvedObject?.name === pod);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ type: 'Warning', reason: 'IdentityAssignFailed', count: 1 });
      expect(mine[0]?.message).toContain(ARM_TEXT);
      expect(mine[0]?.message).toContain('[REDACTED]');
      for (const secret of SECRETS) expect(mine[0]?.message).not.toContain(secret);
    }
    const allEvents = (await world.request('GET', '/api/v1/events')) as { items: KubeEvent[] };
    const everything = JSON.stringify(allEvents.items) + mic.lines.join('\n');
    expect(everything).toContain(ARM_TEXT);
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
    expect((await world.assignedIdentities()).map((a) => a.status?.status)).toEqual(['Created', 'Created', 'Created']);
    expect(await mic.stop()).toBe(0);
  }, 60_000);
});

describe('MIC process: a burst of pods', () => {
  const PODS = Number(process.env['BURST_PODS'] ?? 1000);
  let world: MicWorld;
  beforeAll(async () => {
    world = await MicWorld.start();
  });
  afterAll(async () => {
    await world.close();
  });

  test(`${PODS} pods: at most one event per pod and reason; kubectl describe pod shows it`, async () => {
    const nodes = await world.scaleSet('burst', 4);
    await world.createIdentityAndBinding('burst-identity', 'burst');
    const mic = world.startMic(['--clientQps=1000', '--createDeleteBatch=50', '--leader-election-duration=60s']);
    await mic.waitForLine(/sync loop started/);
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < PODS) {
          const i = next++;
          await world.createPod(`burst-${i}`, nodes[i % nodes.length] as string, 'burst');
        }
      }),
    );
    await eventually(
      `${PODS} IdentityAssigned events`,
      async () => {
        const events = await podEvents(world);
        return events.filter((e) => e.reason === 'IdentityAssigned').length >= PODS ? true : undefined;
      },
      120_000,
    );
    // Delete and re-create a tenth of them: unassigned, then (same name) assigned again within the interval.
    for (let i = 0; i < PODS / 10; i++) await world.deletePod(`burst-${i}`);
    await eventually(
      'unassigned events',
      async () =>
        (await podEvents(world)).filter((e) => e.reason === 'IdentityUnassigned').length >= PODS / 10
          ? true
          : undefined,
      60_000,
    );
    for (let i = 0; i < PODS / 10; i++) await world.createPod(`burst-${i}`, nodes[0] as string, 'burst');
    await eventually(
      `${PODS} Assigned again`,
      async () => {
        const items = await world.assignedIdentities();
        return items.length === PODS && items.every((a) => a.status?.status === 'Assigned') ? true : undefined;
      },
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const events = await podEvents(world);
    const perPodAndReason = new Map<string, number>();
    for (const event of events) {
      // Per pod object: the re-created pods are new pods (new uid) and are told again.
      const key = `${event.involvedObject?.name}/${event.involvedObject?.uid}/${event.reason}`;
      perPodAndReason.set(key, (perPodAndReason.get(key) ?? 0) + (event.count ?? 1));
    }
    expect(Math.max(...perPodAndReason.values())).toBe(1);
    expect(events.filter((e) => e.reason === 'IdentityAssigned')).toHaveLength(PODS + PODS / 10);
    expect(events.filter((e) => e.reason === 'IdentityUnassigned')).toHaveLength(PODS / 10);

    // Asynchronously: the kube-emulator answering kubectl runs in this very process.
    const described = await promisify(execFile)('kubectl', [
      `--kubeconfig=${world.kube.kubeconfigPath}`,
      'describe',
      'pod',
      `burst-${PODS / 2}`,
    ]);
    expect(described.stdout).toMatch(/Normal\s+IdentityAssigned\s+.*identity default\/burst-identity assigned on node/);
    expect(await mic.stop()).toBe(0);
  }, 240_000);
});
