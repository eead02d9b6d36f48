import { describe, expect, test } from '@jest/globals';
import type { AzureIdentity, AzureIdentityBinding, Pod } from '@podid/crd-types';
import fc from 'fast-check';
import { MatchMemo, matchAssignments } from './index.js';
import { binding, identity, pod, validResourceId } from './test-support/fixtures.js';

/*
 * Small worlds: few namespaces, names and selectors, so that collisions, cross-namespace bindings, missing
 * identities and duplicates are common.
 */
// Repeated entries weight the choice towards values that match, so most worlds produce assignments.
const namespace = fc.constantFrom('default', 'default', 'a', 'b', 'a-b');
const selector = fc.constantFrom('s1', 's1', 's1', 's2', 'S1', '');

const podArb: fc.Arbitrary<Pod> = fc
  .record({
    namespace,
    name: fc.constantFrom('p', 'p-a', 'q', 'r'),
    label: fc.option(selector, { nil: undefined }),
    nodeName: fc.constantFrom('node-1', 'node-2', 'node-1', ''),
    phase: fc.constantFrom('Running', 'Running', 'Pending', 'Succeeded', 'Failed'),
  })
  .map(({ namespace: ns, name, label, nodeName, phase }) => {
    const p = pod(ns, name, { label, phase });
    return { ...p, spec: { nodeName } };
  });

const identityArb: fc.Arbitrary<AzureIdentity> = fc
  .record({
    namespace,
    name: fc.constantFrom('i1', 'i1', 'i2', 'b-i1'),
    type: fc.constantFrom(0, 1, 2),
    validId: fc.constantFrom(true, true, true, false),
    annotated: fc.boolean(),
  })
  .map(({ namespace: ns, name, type, validId, annotated }) =>
    identity(ns, name, {
      type,
      resourceID: validId ? validResourceId(name) : `/subscriptions/x/${name}`,
      ...(annotated ? { namespacedAnnotation: 'namespaced' } : {}),
    }),
  );

const bindingArb: fc.Arbitrary<AzureIdentityBinding> = fc
  .record({
    namespace,
    name: fc.constantFrom('b1', 'b2', 'b3'),
    identity: fc.constantFrom('i1', 'i1', 'i2', 'b-i1', 'gone'),
    selector,
  })
  .map(({ namespace: ns, name, identity: id, selector: sel }) => binding(ns, name, id, sel));

function uniqueBy<T>(arb: fc.Arbitrary<T>, key: (t: T) => string): fc.Arbitrary<T[]> {
  return fc.uniqueArray(arb, { minLength: 1, maxLength: 12, selector: key });
}
const objectKey = (o: { metadata: { namespace: string; name: string } }): string =>
  `${o.metadata.namespace}/${o.metadata.name}`;

const world = fc.record({
  pods: uniqueBy(podArb, objectKey),
  bindings: uniqueBy(bindingArb, objectKey),
  identities: uniqueBy(identityArb, objectKey),
  namespaced: fc.boolean(),
});

/** A world plus a permutation of each of its lists. */
const worldWithShuffle = world.chain((w) =>
  fc.record({
    world: fc.constant(w),
    pods: fc.shuffledSubarray(w.pods, { minLength: w.pods.length }),
    bindings: fc.shuffledSubarray(w.bindings, { minLength: w.bindings.length }),
    identities: fc.shuffledSubarray(w.identities, { minLength: w.identities.length }),
  }),
);

describe('matchAssignments properties', () => {
  test('deterministic and independent of input order', () => {
    fc.assert(
      fc.property(worldWithShuffle, ({ world: w, pods, bindings, identities }) => {
        const options = { namespaced: w.namespaced };
        const first = matchAssignments(w.pods, w.bindings, w.identities, options);
        expect(matchAssignments(w.pods, w.bindings, w.identities, options)).toEqual(first);
        expect(matchAssignments(pods, bindings, identities, options)).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  test('every assignment is backed by its inputs; names are unique', () => {
    let runsWithAssignments = 0;
    fc.assert(
      fc.property(world, (w) => {
        const { assignments } = matchAssignments(w.pods, w.bindings, w.identities, { namespaced: w.namespaced });
        if (assignments.length > 0) runsWithAssignments++;
        for (const a of assignments) {
          expect(w.identities).toContain(a.identity);
          expect(w.bindings).toContain(a.binding);
          const p = w.pods.find((candidate) => objectKey(candidate) === `${a.podNamespace}/${a.podName}`)!;
          expect(p.metadata.labels?.['aadpodidbinding']).toBe(a.binding.spec.selector);
          expect(a.binding.spec.selector).not.toBe('');
          expect(a.nodeName).toBe(p.spec?.nodeName);
          expect(a.nodeName).not.toBe('');
          expect(['Succeeded', 'Failed']).not.toContain(p.status?.phase);
          expect(a.identity.metadata.namespace).toBe(a.binding.metadata.namespace);
          expect(a.identity.metadata.name).toBe(a.binding.spec.azureIdentity);
        }
        expect(new Set(assignments.map((a) => `${a.namespace}/${a.name}`)).size).toBe(assignments.length);
        // One pod never gets two identities with the same name (checklist row 20).
        const podIdentity = assignments.map((a) => `${a.podNamespace}/${a.podName}/${a.identity.metadata.name}`);
        expect(new Set(podIdentity).size).toBe(assignments.length);
      }),
      { numRuns: 300 },
    );
    // Guards against a generator that makes every world trivially empty (about a third of the worlds match).
    expect(runsWithAssignments).toBeGreaterThan(60);
  });

  test('under namespaced mode no assignment crosses namespaces', () => {
    fc.assert(
      fc.property(world, (w) => {
        const { assignments } = matchAssignments(w.pods, w.bindings, w.identities, { namespaced: true });
        for (const a of assignments) {
          expect(a.podNamespace).toBe(a.identity.metadata.namespace);
          expect(a.podNamespace).toBe(a.binding.metadata.namespace);
          expect(a.namespace).toBe(a.identity.metadata.namespace);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('every pod and every binding is accounted for: an assignment or a reason', () => {
    fc.assert(
      fc.property(world, (w) => {
        const { assignments, skipped } = matchAssignments(w.pods, w.bindings, w.identities, {
          namespaced: w.namespaced,
        });
        const podsSeen = new Set<string>();
        const bindingsSeen = new Set<string>();
        for (const a of assignments) {
          podsSeen.add(`${a.podNamespace}/${a.podName}`);
          bindingsSeen.add(objectKey(a.binding));
        }
        for (const s of skipped) {
          if (s.subject !== 'binding') podsSeen.add(`${s.pod.namespace}/${s.pod.name}`);
          if (s.subject !== 'pod') bindingsSeen.add(`${s.binding.namespace}/${s.binding.name}`);
        }
        expect([...podsSeen].sort()).toEqual(w.pods.map(objectKey).sort());
        expect([...bindingsSeen].sort()).toEqual(w.bindings.map(objectKey).sort());
      }),
      { numRuns: 300 },
    );
  });

  test('a memo carried across cycles never changes the result', () => {
    const step = fc.record({ world, keepContext: fc.boolean(), keepPods: fc.boolean(), repeatOne: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 5 }), (steps) => {
        const memo = new MatchMemo();
        let previous:
          | { pods: Pod[]; bindings: AzureIdentityBinding[]; identities: AzureIdentity[]; namespaced: boolean }
          | undefined;
        for (const { world: w, keepContext, keepPods, repeatOne } of steps) {
          let { pods, bindings, identities, namespaced } = w;
          if (previous !== undefined && keepContext) ({ bindings, identities, namespaced } = previous);
          if (previous !== undefined && keepPods) {
            // Half of the previous cycle's pod objects unchanged, plus this step's pods under other keys.
            const kept = previous.pods.filter((_, i) => i % 2 === 0);
            const keys = new Set(kept.map(objectKey));
            pods = [...kept, ...w.pods.filter((p) => !keys.has(objectKey(p)))];
          }
          if (repeatOne && pods.length > 0) pods = [...pods, pods[0] as Pod];
          const expected = matchAssignments(pods, bindings, identities, { namespaced });
          expect(matchAssignments(pods, bindings, identities, { namespaced, memo })).toEqual(expected);
          previous = { pods, bindings, identities, namespaced };
        }
      }),
      { numRuns: 300 },
    );
  });

  test('with a memo, an unchanged pod is not matched again; a changed binding forgets every outcome', () => {
    const identities = [identity('default', 'i1', { clientID: 'c1', resourceID: validResourceId('i1') })];
    const bindings = [binding('default', 'b1', 'i1', 's1')];
    const pods = [pod('default', 'p', { label: 's1', nodeName: 'node-1' })];
    const memo = new MatchMemo();
    const first = matchAssignments(pods, bindings, identities, { namespaced: false, memo });
    const second = matchAssignments([...pods], [...bindings], [...identities], { namespaced: false, memo });
    expect(second.assignments).toHaveLength(1);
    expect(second.assignments[0]).toBe(first.assignments[0]);
    // Without the memo every call builds its assignments anew.
    expect(matchAssignments(pods, bindings, identities, { namespaced: false }).assignments[0]).not.toBe(
      first.assignments[0],
    );
    const changed = [
      { ...bindings[0], metadata: { ...bindings[0]?.metadata, resourceVersion: '2' } },
    ] as typeof bindings;
    const third = matchAssignments(pods, changed, identities, { namespaced: false, memo });
    expect(third.assignments[0]).not.toBe(first.assignments[0]);
    expect(third.assignments[0]?.binding).toBe(changed[0]);
  });
});
