import { describe, expect, test } from '@jest/globals';
import type { KubeConnection, KubeRequest } from '../connection/kube-connection.js';
import { FakeClock } from '../test-support/fake-clock.js';
import { EventRecorder } from './event-recorder.js';

/** Records calls; `failPatchWith` makes the next patch fail with that status. */
function fakeCore() {
  const calls: Array<{ verb: 'create' | 'patch'; name: string; body: Record<string, unknown> }> = [];
  let failPatchWith: number | undefined;
  const connection: Pick<KubeConnection, 'request'> = {
    request: async <T>({ method, path, body }: KubeRequest): Promise<T> => {
      if (method === 'POST') {
        const created = body as { metadata: { name: string } };
        calls.push({ verb: 'create', name: created.metadata.name, body: body as Record<string, unknown> });
        return body as T;
      }
      if (failPatchWith !== undefined) {
        const statusCode = failPatchWith;
        failPatchWith = undefined;
        throw Object.assign(new Error('patch failed'), { statusCode });
      }
      calls.push({
        verb: 'patch',
        name: decodeURIComponent(path.split('/').at(-1) ?? ''),
        body: body as Record<string, unknown>,
      });
      return body as T;
    },
  };
  return {
    connection,
    calls,
    failNextPatch(code: number) {
      failPatchWith = code;
    },
  };
}

const ref = { kind: 'AzureIdentityBinding', namespace: 'ns', name: 'b' };

describe('EventRecorder aggregation', () => {
  test('identical events within the window bump count; different messages and expired windows create new Events', async () => {
    const clock = new FakeClock();
    const { connection, calls } = fakeCore();
    const recorder = new EventRecorder({ connection, clock, aggregationWindowMs: 60_000 });
    recorder.warning(ref, 'binding apply error', 'boom');
    recorder.warning(ref, 'binding apply error', 'boom');
    recorder.warning(ref, 'binding apply error', 'other');
    await recorder.flush();
    expect(calls.map((c) => c.verb)).toEqual(['create', 'patch', 'create']);
    expect(calls[1]?.name).toBe(calls[0]?.name);
    expect(calls[1]?.body['count']).toBe(2);

    await clock.advance(120_000);
    recorder.warning(ref, 'binding apply error', 'boom');
    await recorder.flush();
    expect(calls.at(-1)?.verb).toBe('create');
    expect(calls.at(-1)?.name).not.toBe(calls[0]?.name);
  });

  test('an Event deleted meanwhile (404 on patch) is recreated', async () => {
    const { connection, calls, failNextPatch } = fakeCore();
    const recorder = new EventRecorder({ connection, clock: new FakeClock() });
    recorder.normal(ref, 'binding applied', 'ok');
    await recorder.flush();
    failNextPatch(404);
    recorder.normal(ref, 'binding applied', 'ok');
    await recorder.flush();
    expect(calls.map((c) => c.verb)).toEqual(['create', 'create']);
  });

  test('drops events beyond maxPending instead of growing without bound', async () => {
    const { connection, calls } = fakeCore();
    const recorder = new EventRecorder({ connection, clock: new FakeClock(), maxPending: 2 });
    for (let i = 0; i < 5; i++) recorder.normal(ref, 'binding applied', `m${i}`);
    await recorder.flush();
    expect(calls).toHaveLength(2);
  });
});
