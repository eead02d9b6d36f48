import { describe, expect, test } from '@jest/globals';
import { identityId } from './test-support/fake-arm-identity-client.js';
import { WorkingDelta } from './working-delta.js';

describe('WorkingDelta', () => {
  test('add wins over remove, duplicates collapse case-insensitively, the first spelling is kept', () => {
    const a = identityId('A');
    const b = identityId('b');
    const delta = new WorkingDelta({ add: [a, a.toLowerCase()], remove: [a.toUpperCase(), b] });
    expect(delta.toDelta()).toEqual({ add: [a], remove: [b] });
  });

  test('malformed IDs are dropped once with InvalidResourceId', () => {
    const delta = new WorkingDelta({ add: ['bad', identityId('ok')], remove: ['BAD'] });
    expect(delta.dropped.map((d) => [d.id, d.reason])).toEqual([['BAD', 'InvalidResourceId']]);
    expect(delta.toDelta()).toEqual({ add: [identityId('ok')], remove: [] });
  });

  test('drop() removes only IDs of the delta and reports applied changes in the caller spelling', () => {
    const a = identityId('Alpha');
    const b = identityId('beta');
    const delta = new WorkingDelta({ add: [a, b], remove: [] });
    expect(delta.drop([b.toLowerCase(), identityId('stranger')], 'LinkedAuthorizationFailed', 'denied')).toBe(1);
    expect(delta.dropped).toEqual([{ id: b, reason: 'LinkedAuthorizationFailed', message: 'denied' }]);
    expect(delta.appliedBetween([], [a.toLowerCase()])).toEqual({ added: [a], removed: [] });
  });
});
