import { describe, expect, test } from '@jest/globals';
import type { Node, Pod } from '@podid/crd-types';
import { NMI_STARTUP_TAINT, tolerates, untoleratedTaints } from './taint-scheduling.js';

const node = (taints: object[]): Node => ({ metadata: { name: 'n1' }, spec: { taints } }) as unknown as Node;
const pod = (tolerations: object[] = []): Pod =>
  ({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], tolerations } }) as unknown as Pod;

describe('taint scheduling (the stand-in scheduler)', () => {
  test('a pod without tolerations is kept off a node with the NMI start-up taint', () => {
    expect(untoleratedTaints(pod(), node([NMI_STARTUP_TAINT]))).toEqual([NMI_STARTUP_TAINT]);
    expect(untoleratedTaints(pod(), node([]))).toEqual([]);
    expect(untoleratedTaints(pod(), undefined)).toEqual([]);
  });

  test('PreferNoSchedule never blocks; NoExecute does', () => {
    expect(untoleratedTaints(pod(), node([{ key: 'a', effect: 'PreferNoSchedule' }]))).toEqual([]);
    expect(untoleratedTaints(pod(), node([{ key: 'a', effect: 'NoExecute' }]))).toHaveLength(1);
  });

  test.each([
    [{ key: 'podid.io/nmi-not-ready', operator: 'Exists', effect: 'NoSchedule' }, true],
    [{ key: 'podid.io/nmi-not-ready', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: 'podid.io/nmi-not-ready' }, true], // Equal with empty value matches the value-less taint
    [{ key: 'podid.io/nmi-not-ready', value: 'x' }, false],
    [{ key: 'podid.io/nmi-not-ready', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
    [{ operator: 'Equal' }, false],
  ])('toleration %j tolerates the start-up taint: %s', (toleration, expected) => {
    expect(tolerates(toleration, NMI_STARTUP_TAINT)).toBe(expected);
    expect(untoleratedTaints(pod([toleration]), node([NMI_STARTUP_TAINT])).length === 0).toBe(expected);
  });
});
