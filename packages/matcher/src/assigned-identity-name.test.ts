import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { assignedIdentityName } from './index.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isValidName(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

/** Kubernetes-like names: heavy on '-' and '.', so naive joins would collide. */
const k8sName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,40}[a-z0-9])?$/);
const tuple = fc.record({
  podName: k8sName,
  podNamespace: k8sName,
  identityName: k8sName,
  identityNamespace: k8sName,
});

describe('assignedIdentityName (Q1)', () => {
  test('readable upstream prefix plus a 16-digit hash', () => {
    expect(
      assignedIdentityName({ podName: 'p', podNamespace: 'n', identityName: 'i', identityNamespace: 'n' }),
    ).toMatch(/^p-n-i-[0-9a-f]{16}$/);
  });

  // Names are persisted in clusters: these exact values (from the first release) must never change, whether the
  // text takes the already-valid fast path or needs rewriting and truncation.
  test.each([
    [
      'already valid',
      { podName: 'p', podNamespace: 'n', identityName: 'i', identityNamespace: 'n' },
      'p-n-i-a623514b198088d6',
    ],
    [
      'already valid, typical',
      { podName: 'web-7d4b9c-x2x', podNamespace: 'team-3', identityName: 'id-3', identityNamespace: 'team-3' },
      'web-7d4b9c-x2x-team-3-id-3-e0f8ed7703a14699',
    ],
    [
      'rewritten',
      { podName: 'My_Pod', podNamespace: 'ns', identityName: 'id.-x', identityNamespace: 'other' },
      'my-pod-ns-id.x-07912cfb2292f86f',
    ],
    [
      'truncated',
      { podName: 'a'.repeat(240), podNamespace: 'n', identityName: 'i', identityNamespace: 'n' },
      `${'a'.repeat(236)}-25300599db338a95`,
    ],
    [
      'hyphen after a dot',
      { podName: 'web.-1', podNamespace: 'n', identityName: 'i', identityNamespace: 'n' },
      'web.1-n-i-e5db58dd82500dbf',
    ],
    [
      'two dots',
      { podName: 'web..1', podNamespace: 'n', identityName: 'i', identityNamespace: 'n' },
      'web.1-n-i-7a28a02f897ddafc',
    ],
    [
      'hyphen before a dot',
      { podName: 'web-.1', podNamespace: 'n', identityName: 'i', identityNamespace: 'n' },
      'web.1-n-i-6953d5134e6141e1',
    ],
    [
      'dot before a hyphen',
      { podName: 'web.', podNamespace: 'n', identityName: 'i', identityNamespace: 'n' },
      'web.n-i-9a59c63b6725a306',
    ],
    [
      'longest text kept whole (236 characters)',
      { podName: 'a'.repeat(232), podNamespace: 'n', identityName: 'i', identityNamespace: 'n' },
      `${'a'.repeat(232)}-n-i-c5fa1bf0f13aa245`,
    ],
    [
      'one character too long',
      { podName: 'a'.repeat(233), podNamespace: 'n', identityName: 'i', identityNamespace: 'n' },
      `${'a'.repeat(233)}-n-a39252bcaeb2cb80`,
    ],
    [
      'nothing readable',
      { podName: '--', podNamespace: '..', identityName: '_', identityNamespace: '' },
      '4dfabe9b527c3001',
    ],
  ])('stable name (%s)', (_label, parts, expected) => {
    expect(assignedIdentityName(parts)).toBe(expected);
  });

  test('the identity namespace is part of the tuple even though it is not in the readable part', () => {
    const a = assignedIdentityName({ podName: 'p', podNamespace: 'n', identityName: 'i', identityNamespace: 'x' });
    const b = assignedIdentityName({ podName: 'p', podNamespace: 'n', identityName: 'i', identityNamespace: 'y' });
    expect(a).not.toBe(b);
  });

  test('very long inputs are truncated to a valid name of at most 253 characters', () => {
    const long = 'a'.repeat(253);
    const name = assignedIdentityName({
      podName: long,
      podNamespace: 'n'.repeat(63),
      identityName: long,
      identityNamespace: 'x',
    });
    expect(name.length).toBe(253);
    expect(isValidName(name)).toBe(true);
  });

  test('truncation never leaves a dash or dot before the hash', () => {
    const name = assignedIdentityName({
      podName: `${'a'.repeat(235)}.-b`,
      podNamespace: 'n',
      identityName: 'i',
      identityNamespace: 'n',
    });
    expect(isValidName(name)).toBe(true);
  });

  test('property: deterministic and always a valid DNS-1123 subdomain', () => {
    fc.assert(
      fc.property(
        fc.record({
          podName: fc.string(),
          podNamespace: fc.string(),
          identityName: fc.string(),
          identityNamespace: fc.string(),
        }),
        (parts) => {
          const name = assignedIdentityName(parts);
          expect(assignedIdentityName({ ...parts })).toBe(name);
          expect(isValidName(name)).toBe(true);
        },
      ),
    );
  });

  test('property: distinct (namespace, pod, identity namespace, identity) tuples never share a name', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(tuple, { minLength: 2, maxLength: 40, selector: (t) => JSON.stringify(t) }),
        (tuples) => {
          const names = new Set(tuples.map(assignedIdentityName));
          expect(names.size).toBe(tuples.length);
        },
      ),
    );
  });

  test('property: tuples whose upstream names collide still get distinct names', () => {
    fc.assert(
      fc.property(k8sName, k8sName, k8sName, k8sName, (a, b, c, x) => {
        // pod "a-b" in "c" vs pod "a" in "b-c": identical upstream text "a-b-c-x".
        const first = assignedIdentityName({
          podName: `${a}-${b}`,
          podNamespace: c,
          identityName: x,
          identityNamespace: 'd',
        });
        const second = assignedIdentityName({
          podName: a,
          podNamespace: `${b}-${c}`,
          identityName: x,
          identityNamespace: 'd',
        });
        expect(first).not.toBe(second);
      }),
    );
  });
});
