import { describe, expect, test } from '@jest/globals';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { transientRetryPolicy } from './transient-retry-policy.js';

function respond(status: number, headers: Record<string, string> = {}) {
  return (request: ReturnType<typeof createPipelineRequest>): PipelineResponse => ({
    request,
    status,
    headers: createHttpHeaders(headers),
  });
}

async function run(responses: Array<ReturnType<typeof respond> | Error>, maxRetries = 3) {
  const sleeps: number[] = [];
  const policy = transientRetryPolicy({
    maxRetries,
    initialDelayMs: 100,
    maxDelayMs: 250,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  let calls = 0;
  const request = createPipelineRequest({ url: 'https://arm.example/x' });
  const outcome = await policy
    .sendRequest(request, async (req) => {
      const next = responses[Math.min(calls++, responses.length - 1)]!;
      if (next instanceof Error) throw next;
      return next(req);
    })
    .then((r) => r.status)
    .catch((e: Error) => e.message);
  return { outcome, calls, sleeps };
}

describe('transientRetryPolicy', () => {
  test('retries 500/502/503/504/408 with doubling, capped delays', async () => {
    const result = await run([respond(500), respond(503), respond(408), respond(200)]);
    expect(result).toEqual({ outcome: 200, calls: 4, sleeps: [100, 200, 250] });
  });

  test('stops after maxRetries and returns the last failure', async () => {
    const result = await run([respond(500)], 2);
    expect(result).toEqual({ outcome: 500, calls: 3, sleeps: [100, 200] });
  });

  test('never retries 429, nor any response carrying Retry-After: the assigner governs those', async () => {
    expect(await run([respond(429, { 'retry-after': '30' }), respond(200)])).toEqual({
      outcome: 429,
      calls: 1,
      sleeps: [],
    });
    expect(await run([respond(503, { 'retry-after': '5' }), respond(200)])).toEqual({
      outcome: 503,
      calls: 1,
      sleeps: [],
    });
  });

  test('does not retry client errors', async () => {
    expect(await run([respond(403), respond(200)])).toEqual({ outcome: 403, calls: 1, sleeps: [] });
  });

  test('retries dropped connections but not refused ones', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(await run([reset, respond(200)])).toEqual({ outcome: 200, calls: 2, sleeps: [100] });
    expect(await run([refused, respond(200)])).toEqual({ outcome: 'connect ECONNREFUSED', calls: 1, sleeps: [] });
  });
});
