import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { kubeConfigFor } from './test-support/kube-client.js';

let emulator: KubeEmulator;
let coord: k8s.CoordinationV1Api;

beforeAll(async () => {
  emulator = await startKubeEmulator();
  coord = kubeConfigFor(emulator).makeApiClient(k8s.CoordinationV1Api);
});
afterAll(async () => {
  await emulator.close();
});

async function rawCreateLease(renewTime: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${emulator.url}/apis/coordination.k8s.io/v1/namespaces/default/leases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metadata: { generateName: 'raw-' }, spec: { holderIdentity: 'x', renewTime } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Leases', () => {
  test('V1MicroTime round-trips through client-node with six fractional digits', async () => {
    const now = new k8s.V1MicroTime('2026-01-02T03:04:05.123456Z');
    const created = await coord.createNamespacedLease({
      namespace: 'kube-system',
      body: {
        metadata: { name: 'mic' },
        spec: { holderIdentity: 'mic-0', leaseDurationSeconds: 15, acquireTime: now, renewTime: now },
      },
    });
    expect(created.spec?.holderIdentity).toBe('mic-0');
    const raw = await fetch(`${emulator.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/mic`).then((r) =>
      r.json(),
    );
    expect((raw as { spec: { renewTime: string } }).spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  test('MicroTime without exactly six fractional digits → 400 BadRequest like the real decoder', async () => {
    for (const bad of ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.123Z', '2026-01-02T03:04:05.1234567Z']) {
      const { status, body } = await rawCreateLease(bad);
      expect(status).toBe(400);
      expect(body['reason']).toBe('BadRequest');
      expect(body['message']).toContain(`parsing time "${bad}" as "2006-01-02T15:04:05.000000Z07:00"`);
    }
    expect((await rawCreateLease('2026-01-02T03:04:05.000001Z')).status).toBe(201);
  });

  test('optimistic concurrency: only one of two writers with the same resourceVersion wins', async () => {
    const lease = await coord.readNamespacedLease({ namespace: 'kube-system', name: 'mic' });
    const renew = (holder: string) =>
      coord.replaceNamespacedLease({
        namespace: 'kube-system',
        name: 'mic',
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: holder,
            renewTime: new k8s.V1MicroTime('2026-01-02T03:04:06.000000Z'),
          },
        },
      });
    const results = await Promise.allSettled([renew('mic-1'), renew('mic-2')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as k8s.ApiException<unknown>).code).toBe(409);
    const final = await coord.readNamespacedLease({ namespace: 'kube-system', name: 'mic' });
    expect(final.spec?.holderIdentity).toBe((won[0] as PromiseFulfilledResult<k8s.V1Lease>).value.spec?.holderIdentity);
  });
});
