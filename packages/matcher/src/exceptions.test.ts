import { describe, expect, test } from '@jest/globals';
import { isExcepted } from './index.js';
import { exception, pod } from './test-support/fixtures.js';

describe('isExcepted (§1.5, §3.8, checklist row 62)', () => {
  const micPod = pod('kube-system', 'mic-1', { labels: { app: 'MIC', tier: 'control' } });

  test('any key of any exception in the pod namespace, value compared ignoring case', () => {
    expect(isExcepted(micPod, [exception('kube-system', 'e', { app: 'mic' })])).toBe(true);
    expect(isExcepted(micPod, [exception('kube-system', 'e', { other: 'x', tier: 'CONTROL' })])).toBe(true);
    expect(
      isExcepted(micPod, [
        exception('kube-system', 'e1', { app: 'nmi' }),
        exception('kube-system', 'e2', { tier: 'control' }),
      ]),
    ).toBe(true);
  });

  test('the key is compared exactly', () => {
    expect(isExcepted(micPod, [exception('kube-system', 'e', { App: 'mic' })])).toBe(false);
  });

  test('a different value does not match', () => {
    expect(isExcepted(micPod, [exception('kube-system', 'e', { app: 'micro' })])).toBe(false);
  });

  test('an exception in another namespace has no effect', () => {
    expect(isExcepted(micPod, [exception('default', 'e', { app: 'mic' })])).toBe(false);
  });

  test('no labels, no exceptions, and prototype-named keys are handled', () => {
    expect(
      isExcepted({ metadata: { name: 'p', namespace: 'kube-system' } }, [
        exception('kube-system', 'e', { app: 'mic' }),
      ]),
    ).toBe(false);
    expect(isExcepted(micPod, [])).toBe(false);
    expect(isExcepted(micPod, [exception('kube-system', 'e', { constructor: 'x', toString: 'y' })])).toBe(false);
  });
});
