/** A watcher that stops reading is dropped once its unsent output passes the limit, like the real server's. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { eventually } from './test-support/kube-client.js';
import { RawHttpClient } from './test-support/raw-http.js';

let emulator: KubeEmulator;
let client: RawHttpClient;

beforeAll(async () => {
  emulator = await startKubeEmulator({ maxWatchBacklogBytes: 256 * 1024 });
  client = new RawHttpClient(emulator.url);
});
afterAll(async () => {
  client.close();
  await emulator.close();
});

test('a watcher that never reads is dropped; a reading one is kept', async () => {
  const url = new URL(emulator.url);
  const stalled: Socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
  stalled.pause();
  stalled.write(
    `GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0 HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`,
  );
  await eventually(() => emulator.admin.openWatches === 1, 'the stalled watch to open');
  const abort = new AbortController();
  const reading = await fetch(`${emulator.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0`, {
    signal: abort.signal,
  });
  const drain = (async () => {
    for await (const _ of reading.body!) {
      // keep reading
    }
  })();
  await eventually(() => emulator.admin.openWatches === 2, 'the reading watch to open');
  const payload = 'x'.repeat(200 * 1024);
  try {
    // Enough output to fill the loopback socket buffers and then the emulator's limit.
    for (let i = 0; i < 200 && emulator.admin.openWatches === 2; i++) {
      const res = await client.send(
        'POST',
        '/api/v1/namespaces/default/configmaps',
        JSON.stringify({ metadata: { name: `big-${i}` }, data: { payload } }),
      );
      expect(res.status).toBe(201);
    }
    expect(emulator.admin.openWatches).toBe(1);
  } finally {
    stalled.destroy();
    abort.abort();
    await drain.catch(() => {});
  }
});
