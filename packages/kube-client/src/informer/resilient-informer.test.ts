import { describe, expect, test } from '@jest/globals';
import { type Pod, parsePod } from '@podid/crd-types';
import type { InvalidObjectReport } from '../invalid-object.js';
import { FakeClock, flushMicrotasks } from '../test-support/fake-clock.js';
import { listOf, ScriptedConnection } from '../test-support/scripted-connection.js';
import { type InformerChange, ResilientInformer } from './resilient-informer.js';

function pod(name: string, resourceVersion: string, extra: { ip?: string; node?: string; ns?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: extra.ns ?? 'default', resourceVersion },
    spec: { nodeName: extra.node ?? 'node-1' },
    status: extra.ip ? { podIP: extra.ip } : {},
  };
}

function setup(options: { initialBackoffMs?: number } = {}) {
  const clock = new FakeClock();
  const connection = new ScriptedConnection();
  const invalid: InvalidObjectReport[] = [];
  const changes: string[] = [];
  const informer = new ResilientInformer<Pod, 'byIP'>({
    connection,
    clock,
    path: '/api/v1/pods',
    apiVersion: 'v1',
    kind: 'Pod',
    fieldSelector: 'spec.nodeName=node-1',
    parse: parsePod,
    indexes: { byIP: (p) => (p.status?.podIP ? [p.status.podIP] : []) },
    onInvalidObject: (report) => invalid.push(report),
    initialBackoffMs: options.initialBackoffMs ?? 1000,
    maxBackoffMs: 8000,
  });
  informer.onChange((change: InformerChange<Pod>) => changes.push(`${change.type}:${change.object.metadata.name}`));
  return { clock, connection, informer, invalid, changes };
}

describe('ResilientInformer (scripted server)', () => {
  test('lists, syncs, then applies watch events to the cache and its indexes', async () => {
    const { connection, informer, changes } = setup();
    connection.listResponses.push(listOf('10', [pod('a', '5', { ip: '10.0.0.1' })]));
    informer.start();
    await informer.synced;
    await flushMicrotasks();
    expect(connection.lists[0]).toMatchObject({ fieldSelector: 'spec.nodeName=node-1' });
    expect(connection.lastWatch.query).toMatchObject({ resourceVersion: '10', fieldSelector: 'spec.nodeName=node-1' });

    connection.lastWatch.send('ADDED', pod('b', '11', { ip: '10.0.0.2' }));
    connection.lastWatch.send('MODIFIED', pod('a', '12', { ip: '10.0.0.9' }));
    connection.lastWatch.send('MODIFIED', pod('a', '12', { ip: '10.0.0.9' })); // same version: no event
    connection.lastWatch.send('DELETED', pod('b', '13'));
    expect(changes).toEqual(['add:a', 'add:b', 'update:a', 'delete:b']);
    expect(informer.byIndex('byIP', '10.0.0.1')).toEqual([]);
    expect(informer.byIndex('byIP', '10.0.0.9').map((p) => p.metadata.name)).toEqual(['a']);
    expect(informer.lastResourceVersion).toBe('13');
    await informer.stop();
  });

  test('reconnects after a watch failure with growing backoff, resuming from the last version', async () => {
    const { clock, connection, informer } = setup();
    connection.listResponses.push(listOf('10', []));
    informer.start();
    await informer.synced;
    await flushMicrotasks();
    connection.lastWatch.send('ADDED', pod('a', '11'));
    connection.lastWatch.close(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    await flushMicrotasks();
    // The watch had delivered an event, but it failed: back off before the next attempt.
    expect(connection.watches).toHaveLength(1);
    await clock.advance(1000);
    expect(connection.watches).toHaveLength(2);
    expect(connection.lastWatch.query['resourceVersion']).toBe('11');

    connection.lastWatch.close(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    await clock.advance(1000);
    expect(connection.watches).toHaveLength(2); // second failure in a row waits 2 s
    await clock.advance(1000);
    expect(connection.watches).toHaveLength(3);
    expect(connection.lists).toHaveLength(1); // no relist for a non-410 failure
    await informer.stop();
  });

  test('a watch closed by the server right away is retried with backoff, not in a tight loop', async () => {
    const { clock, connection, informer } = setup();
    connection.listResponses.push(listOf('10', []));
    informer.start();
    await informer.synced;
    await flushMicrotasks();
    connection.lastWatch.close();
    await flushMicrotasks();
    expect(connection.watches).toHaveLength(1);
    await clock.advance(1000);
    expect(connection.watches).toHaveLength(2);
    await informer.stop();
  });

  test('410 Gone relists and emits deletes for objects that vanished meanwhile', async () => {
    const { connection, informer, changes } = setup();
    connection.listResponses.push(listOf('10', [pod('a', '5'), pod('b', '6')]));
    informer.start();
    await informer.synced;
    await flushMicrotasks();
    connection.listResponses.push(listOf('30', [pod('b', '6'), pod('c', '25')]));
    connection.lastWatch.send('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' });
    await flushMicrotasks();
    expect(connection.lists).toHaveLength(2);
    expect(connection.lists[1]?.['continue']).toBeUndefined();
    expect(
      informer
        .list()
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['b', 'c']);
    expect(changes).toEqual(['add:a', 'add:b', 'delete:a', 'add:c']);
    expect(connection.lastWatch.query['resourceVersion']).toBe('30');
    await informer.stop();
  });

  test('follows list pagination', async () => {
    const { connection, informer } = setup();
    connection.listResponses.push(listOf('10', [pod('a', '5')], 'next-page'), listOf('10', [pod('b', '6')]));
    informer.start();
    await informer.synced;
    expect(connection.lists.map((q) => q['continue'])).toEqual([undefined, 'next-page']);
    expect(informer.size).toBe(2);
    await informer.stop();
  });

  test('each list page is transformed before the next page is asked for; the raw pages are not kept until the end', async () => {
    const connection = new ScriptedConnection();
    const transformed: string[] = [];
    const trace: string[] = [];
    const informer = new ResilientInformer<Pod>({
      connection,
      clock: new FakeClock(),
      path: '/api/v1/pods',
      apiVersion: 'v1',
      kind: 'Pod',
      parse: parsePod,
      transform: (p) => {
        transformed.push(p.metadata.name);
        return { metadata: { name: p.metadata.name, namespace: p.metadata.namespace } } as Pod;
      },
    });
    informer.onChange((change) => trace.push(`${change.type}:${change.object.metadata.name}`));
    const page = (rv: string, items: unknown[], next?: string) => () => {
      trace.push(`page after ${JSON.stringify(transformed)}`);
      return listOf(rv, items, next)();
    };
    connection.listResponses.push(
      page('10', [pod('a', '5'), pod('b', '6')], 'p2'),
      page('10', [pod('c', '7')], 'p3'),
      page('10', [pod('d', '8')]),
    );
    informer.start();
    await informer.synced;
    // Page 2 was requested after page 1's objects were transformed, page 3 after page 2's; the cache and the
    // listeners see the objects only once the whole list is in.
    expect(trace).toEqual([
      'page after []',
      'page after ["a","b"]',
      'page after ["a","b","c"]',
      'add:a',
      'add:b',
      'add:c',
      'add:d',
    ]);
    expect(informer.get('default', 'c')).toEqual({ metadata: { name: 'c', namespace: 'default' } });
    await informer.stop();
  });

  test('invalid objects are skipped and reported once per version; an object turning invalid leaves the cache', async () => {
    const { connection, informer, invalid, changes } = setup();
    const broken = { ...pod('bad', '7'), spec: { nodeName: 42 } };
    connection.listResponses.push(listOf('10', [pod('good', '5'), broken]));
    informer.start();
    await informer.synced;
    await flushMicrotasks();
    expect(informer.list().map((p) => p.metadata.name)).toEqual(['good']);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ kind: 'Pod', name: 'bad', namespace: 'default', source: 'list' });
    expect(invalid[0]?.error.path).toBe('spec.nodeName');

    connection.listResponses.push(listOf('20', [pod('good', '5'), broken]));
    connection.lastWatch.send('ERROR', { code: 410 });
    await flushMicrotasks();
    expect(invalid).toHaveLength(1);

    connection.lastWatch.send('MODIFIED', { ...pod('good', '21'), status: 'not-an-object' });
    expect(invalid).toHaveLength(2);
    expect(informer.get('default', 'good')).toBeUndefined();
    expect(changes).toEqual(['add:good', 'delete:good']);
    await informer.stop();
  });

  test('retries a failing first list until it succeeds', async () => {
    const { clock, connection, informer } = setup();
    connection.listResponses.push(() => {
      throw Object.assign(new Error('Too Many Requests'), { statusCode: 429 });
    });
    connection.listResponses.push(listOf('10', [pod('a', '5')]));
    const errors: unknown[] = [];
    informer.onError((error) => errors.push(error));
    informer.start();
    await flushMicrotasks();
    expect(informer.hasSynced).toBe(false);
    expect(errors).toHaveLength(1);
    await clock.advance(1000);
    await informer.synced;
    expect(informer.size).toBe(1);
    await informer.stop();
  });

  test('a throwing listener does not stop the others or the informer', async () => {
    const { connection, informer } = setup();
    const seen: string[] = [];
    informer.onAdd(() => {
      throw new Error('listener bug');
    });
    informer.onAdd((p) => seen.push(p.metadata.name));
    connection.listResponses.push(listOf('10', [pod('a', '5')]));
    informer.start();
    await informer.synced;
    await flushMicrotasks();
    connection.lastWatch.send('ADDED', pod('b', '11'));
    expect(seen).toEqual(['a', 'b']);
    await informer.stop();
  });

  test('stop() aborts the watch and nothing resurrects it; synced rejects if never reached', async () => {
    const { clock, connection, informer } = setup();
    connection.listResponses.push(listOf('10', []));
    informer.start();
    await informer.synced;
    await flushMicrotasks();
    const watch = connection.lastWatch;
    await informer.stop();
    expect(watch.aborted).toBe(true);
    await clock.advance(120_000);
    expect(connection.watches).toHaveLength(1);
    expect(connection.lists).toHaveLength(1);
    expect(() => informer.start()).toThrow(expect.objectContaining({ code: 'INFORMER_STOPPED' }));

    const early = setup();
    early.connection.listResponses.push(() => {
      throw new Error('down');
    });
    early.informer.start();
    await flushMicrotasks();
    const stopping = early.informer.stop();
    await expect(early.informer.synced).rejects.toMatchObject({ code: 'INFORMER_STOPPED' });
    await stopping;
    await early.clock.advance(120_000);
    expect(early.connection.lists).toHaveLength(1);
  });

  test('resync re-delivers cached objects as updates', async () => {
    const clock = new FakeClock();
    const connection = new ScriptedConnection();
    connection.listResponses.push(listOf('10', [pod('a', '5')]));
    const informer = new ResilientInformer<Pod>({
      connection,
      clock,
      path: '/api/v1/pods',
      apiVersion: 'v1',
      kind: 'Pod',
      parse: parsePod,
      resyncIntervalMs: 600_000,
    });
    const updates: Array<[string, boolean]> = [];
    informer.onUpdate((object, previous) => updates.push([object.metadata.name, object === previous]));
    informer.start();
    await informer.synced;
    await clock.advance(600_000);
    expect(updates).toEqual([['a', true]]);
    await informer.stop();
  });
});
