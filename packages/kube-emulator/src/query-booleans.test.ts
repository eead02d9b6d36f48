/** Boolean query parameters read as apimachinery reads them: only `0` and `false` (any case) are false. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { queryBool } from './query-options.js';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { openWatch } from './test-support/watch-reader.js';

describe('queryBool', () => {
  test.each([
    ['watch=true', true],
    ['watch=True', true],
    ['watch=TRUE', true],
    ['watch=1', true],
    ['watch=', true],
    ['watch', true],
    ['watch=yes', true],
    ['watch=false', false],
    ['watch=False', false],
    ['watch=FALSE', false],
    ['watch=0', false],
    ['watch=0&watch=1', false],
    ['', false],
  ])('%s → %s', (query, expected) => {
    expect(queryBool(new URLSearchParams(query), 'watch')).toBe(expected);
  });
});

describe('over HTTP', () => {
  let emulator: KubeEmulator;
  beforeAll(async () => {
    emulator = await startKubeEmulator({ bookmarkIntervalMs: 50 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  test('watch=True (the Python client) starts a watch; watch=False lists', async () => {
    const w = await openWatch(`${emulator.url}/api/v1/namespaces?watch=True`);
    try {
      const events = await w.waitFor(4);
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'ADDED', 'ADDED']);
    } finally {
      w.close();
    }
    const list = (await (await fetch(`${emulator.url}/api/v1/namespaces?watch=False`)).json()) as { kind: string };
    expect(list.kind).toBe('NamespaceList');
  });

  test('allowWatchBookmarks=True sends bookmarks', async () => {
    const rv = emulator.admin.resourceVersion;
    const w = await openWatch(
      `${emulator.url}/api/v1/namespaces?watch=1&allowWatchBookmarks=True&resourceVersion=${rv}`,
    );
    try {
      const [event] = await w.waitFor(1);
      expect(event?.type).toBe('BOOKMARK');
    } finally {
      w.close();
    }
  });
});
