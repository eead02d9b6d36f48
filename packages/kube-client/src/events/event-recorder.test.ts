import { describe, expect, test } from '@jest/globals';
import type { CoreV1Api } from '@kubernetes/client-node';
import { FakeClock } from '../test-support/fake-clock.js';
import { EventRecorder } from './event-recorder.js';

/** Records calls; `failPatchWith` makes the next patch fail with that status. */
function fakeCore() {
  const calls: Array<{ verb: 'create' | 'patch'; name: string; body: Record<string, unknown> }> = [];
  let failPatchWith: number | undefined;
  const core = {
    createNamespacedEvent: async ({ body }: { body: { metadata: { name: string } } }) => {
      calls.push({ verb: 'create', name: body.metadata.name, body: body as unknown as Record<string, unknown> });
      return body;
    },
    patchNamespacedEvent: async ({ name, body }: { name: string; body: Record<string, unknown> }) => {
      if (failPatchWith !== undefined) {
        const code = failPatchWith;
        failPatchWith = undefined;
        throw Object.assign(new Error('patch failed'), { code });
      }
      calls.push({ verb: 'patch', name, body });
      return body;
    },
  } as unknown as Pick<CoreV1Api, 'createNamespacedEvent' | 'patchNamespacedEvent'>;
  return {
    core,
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
    const { core, calls } = fakeCore();
    const recorder = new EventRecorder({ core, clock, aggregationWindowMs: 60_000 });
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
    const { core, calls, failNextPatch } = fakeCore();
    const recorder = new EventRecorder({ core, clock: new FakeClock() });
    recorder.normal(ref, 'binding applied', 'ok');
    await recorder.flush();
    failNextPatch(404);
    recorder.normal(ref, 'binding applied', 'ok');
    await recorder.flush();
    expect(calls.map((c) => c.verb)).toEqual(['create', 'create']);
  });

  test('drops events beyond maxPending instead of growing without bound', async () => {
    const { core, calls } = fakeCore();
    const recorder = new EventRecorder({ core, clock: new FakeClock(), maxPending: 2 });
    for (let i = 0; i < 5; i++) recorder.normal(ref, 'binding applied', `m${i}`);
    await recorder.flush();
    expect(calls).toHaveLength(2);
  });
});
