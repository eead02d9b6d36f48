/** The collector's own indexes: a pass reads only the objects the changes before it can affect. */
import { describe, expect, test } from '@jest/globals';
import { GarbageCollector, type GcHost, type ObjectLocator, type OwnerReference } from './garbage-collector.js';
import type { KubeObject } from './resource-types.js';

/** A store of objects by name (one type, one namespace) that counts the collector's reads. */
function fakeHost() {
  const objects = new Map<string, KubeObject>();
  const reads: string[] = [];
  const deleted: string[] = [];
  let gc: GarbageCollector;
  const at = (name: string): ObjectLocator => ({ storageKey: 'secrets', namespace: 'ns', name });
  const host: GcHost = {
    read: (loc) => {
      reads.push(loc.name);
      return objects.get(loc.name);
    },
    resolveOwner: (ref: OwnerReference) => {
      const owner = objects.get(String(ref.name));
      return owner !== undefined && owner['metadata'].uid === ref.uid ? owner : undefined;
    },
    deleteObject: (loc) => {
      deleted.push(loc.name);
      remove(loc.name);
    },
    setOwnerReferences: () => {},
    removeFinalizer: () => {},
  };
  const put = (name: string, ownerNames: string[] = []) => {
    const obj: KubeObject = {
      metadata: {
        name,
        namespace: 'ns',
        uid: `uid-${name}`,
        ...(ownerNames.length
          ? { ownerReferences: ownerNames.map((o) => ({ apiVersion: 'v1', kind: 'Secret', name: o, uid: `uid-${o}` })) }
          : {}),
      },
    };
    const type = objects.has(name) ? 'MODIFIED' : 'ADDED';
    objects.set(name, obj);
    gc.observe(type, 'secrets', obj);
  };
  const remove = (name: string) => {
    const obj = objects.get(name);
    if (obj === undefined) return;
    objects.delete(name);
    gc.observe('DELETED', 'secrets', obj);
  };
  gc = new GarbageCollector(host);
  return { gc, put, remove, reads, deleted, objects, at };
}

describe('GarbageCollector', () => {
  test('deleting an owner reads only its own dependents, not every owned object in the store', () => {
    const h = fakeHost();
    h.put('big-owner');
    for (let i = 0; i < 1000; i++) h.put(`kept-${i}`, ['big-owner']);
    h.put('small-owner');
    h.put('dependent', ['small-owner']);
    h.gc.runPass(); // the new dependents are checked once
    h.reads.length = 0;
    h.remove('small-owner');
    h.gc.runPass();
    expect(h.deleted).toEqual(['dependent']);
    expect(h.reads).toEqual(['dependent']);
    expect(h.objects.size).toBe(1001);
  });

  test('a dependent created naming an owner that is already gone is collected by the pass its creation schedules', async () => {
    const h = fakeHost();
    h.put('orphaned', ['never-existed']);
    h.put('owner');
    h.put('kept', ['owner']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.deleted).toEqual(['orphaned']);
    expect(h.objects.has('kept')).toBe(true);
  });

  test('an edit that leaves the references as they were does not make the object dirty again', () => {
    const h = fakeHost();
    h.put('owner');
    h.put('dependent', ['owner']);
    h.gc.runPass();
    h.reads.length = 0;
    h.put('dependent', ['owner']);
    h.gc.runPass();
    expect(h.reads).toEqual([]);
  });
});
