import { describe, expect, test } from '@jest/globals';
import type { AzureAssignedIdentity } from '@podid/crd-types';
import { OwnWritesOverlay } from './own-writes.js';

const obj = (name: string, resourceVersion: string, status = 'Created'): AzureAssignedIdentity =>
  ({
    metadata: { name, namespace: 'default', resourceVersion },
    spec: {},
    status: { status },
  }) as AzureAssignedIdentity;
/** A cache holding exactly `objects`. */
const cache = (objects: AzureAssignedIdentity[]) => ({
  list: () => [...objects],
  get: (namespace: string, name: string) =>
    objects.find((o) => o.metadata.namespace === namespace && o.metadata.name === name),
});
const summary = (list: AzureAssignedIdentity[]) =>
  list.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}:${o.status?.status}`).sort();

describe('OwnWritesOverlay', () => {
  test('a created object shows up before the cache has it, then the cache takes over', () => {
    const overlay = new OwnWritesOverlay();
    overlay.wrote(obj('a', '5'));
    expect(summary(overlay.merge(cache([])))).toEqual(['a@5:Created']);
    expect(summary(overlay.merge(cache([obj('a', '5')])))).toEqual(['a@5:Created']);
    expect(overlay.size).toBe(0);
  });

  test('a status patch wins over the stale cached object until the cache catches up', () => {
    const overlay = new OwnWritesOverlay();
    overlay.wrote(obj('a', '7', 'Assigned'));
    expect(summary(overlay.merge(cache([obj('a', '5', 'Created')])))).toEqual(['a@7:Assigned']);
    expect(summary(overlay.merge(cache([obj('a', '9', 'Assigned')])))).toEqual(['a@9:Assigned']);
    expect(overlay.size).toBe(0);
  });

  test('a deleted object is hidden until the cache drops it, and a re-created one is shown', () => {
    const overlay = new OwnWritesOverlay();
    overlay.deleted(obj('a', '7'));
    expect(summary(overlay.merge(cache([obj('a', '7'), obj('b', '1')])))).toEqual(['b@1:Created']);
    expect(summary(overlay.merge(cache([obj('a', '12')])))).toEqual(['a@12:Created']);
    overlay.deleted(obj('c', '3'));
    expect(summary(overlay.merge(cache([])))).toEqual([]);
    expect(overlay.size).toBe(0);
  });

  test('entries expire so a missed event never pins a stale view', () => {
    let now = 0;
    const overlay = new OwnWritesOverlay({ ttlMs: 1000, now: () => now });
    overlay.wrote(obj('a', '7', 'Assigned'));
    now = 2000;
    expect(summary(overlay.merge(cache([obj('a', '5', 'Created')])))).toEqual(['a@5:Created']);
    overlay.wrote(obj('ghost', '8'));
    now = 4000;
    expect(summary(overlay.merge(cache([])))).toEqual([]);
  });

  test("the echo of its own writes is recognised; anyone else's change to the same object is not", () => {
    const overlay = new OwnWritesOverlay();
    overlay.wrote(obj('a', '5'));
    overlay.wrote(obj('a', '6', 'Assigned'));
    // Create, then status: both versions' watch events may arrive after both writes returned.
    expect(overlay.isOwnEcho({ type: 'add', object: obj('a', '5') })).toBe(true);
    expect(overlay.isOwnEcho({ type: 'update', object: obj('a', '6', 'Assigned') })).toBe(true);
    // A version MIC did not write (someone edited the object in between, or after) needs a cycle.
    expect(overlay.isOwnEcho({ type: 'update', object: obj('a', '7', 'Created') })).toBe(false);
    expect(overlay.isOwnEcho({ type: 'delete', object: obj('a', '6') })).toBe(false);
    expect(overlay.isOwnEcho({ type: 'add', object: obj('b', '5') })).toBe(false);
    overlay.deleted(obj('a', '6'));
    expect(overlay.isOwnEcho({ type: 'delete', object: obj('a', '6') })).toBe(true);
    expect(overlay.isOwnEcho({ type: 'add', object: obj('a', '9') })).toBe(false);
  });

  test('a change to an object while MIC writes it is the echo of that write, even before the response', async () => {
    const overlay = new OwnWritesOverlay();
    let respond: (object: AzureAssignedIdentity) => void = () => {};
    const write = overlay.writing(obj('a', '4'), () => new Promise<AzureAssignedIdentity>((r) => (respond = r)));
    // The watch event of the write arrives first: its version is not known yet, but the object is being written.
    expect(overlay.isOwnEcho({ type: 'update', object: obj('a', '5', 'Assigned') })).toBe(true);
    expect(overlay.isOwnEcho({ type: 'update', object: obj('b', '5', 'Assigned') })).toBe(false);
    respond(obj('a', '5', 'Assigned'));
    overlay.wrote(await write);
    // Once the write is over, only the versions it produced count.
    expect(overlay.isOwnEcho({ type: 'update', object: obj('a', '5', 'Assigned') })).toBe(true);
    expect(overlay.isOwnEcho({ type: 'update', object: obj('a', '6', 'Created') })).toBe(false);
    // A failed write is no longer in flight either.
    await expect(overlay.writing(obj('c', '1'), () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(overlay.isOwnEcho({ type: 'update', object: obj('c', '2') })).toBe(false);
  });

  test('after its delete, the updates that delete made on the way (finalizer removed) are echoes too', () => {
    const overlay = new OwnWritesOverlay();
    overlay.deleted(obj('a', '6'));
    expect(overlay.isOwnEcho({ type: 'update', object: obj('a', '7') })).toBe(true);
    expect(overlay.isOwnEcho({ type: 'delete', object: obj('a', '7') })).toBe(true);
    // Someone creating it again is news.
    expect(overlay.isOwnEcho({ type: 'add', object: obj('a', '9') })).toBe(false);
  });
});
