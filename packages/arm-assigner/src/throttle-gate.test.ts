import { describe, expect, test } from '@jest/globals';
import { ThrottleGate } from './throttle-gate.js';

describe('ThrottleGate', () => {
  test('holds one operation of one client until the deadline, then forgets it', () => {
    let now = 0;
    const gate = new ThrottleGate(() => now);
    gate.backOffUntil('vmss:sub', 'write', 5_000);
    expect(() => gate.assertOpen('vmss:sub', 'write', 'VMSSUpdate')).toThrow(
      expect.objectContaining({ code: 'throttled', retryAt: 5_000, operation: 'write' }),
    );
    expect(() => gate.assertOpen('vmss:sub', 'read', 'VMSSGet')).not.toThrow();
    expect(() => gate.assertOpen('vm:sub', 'write', 'VMUpdate')).not.toThrow();
    now = 5_000;
    expect(() => gate.assertOpen('vmss:sub', 'write', 'VMSSUpdate')).not.toThrow();
    expect(gate.retryAt('vmss:sub', 'write')).toBeUndefined();
  });

  test('an earlier deadline never shortens a later one', () => {
    const gate = new ThrottleGate(() => 0);
    gate.backOffUntil('vm:sub', 'read', 30_000);
    gate.backOffUntil('vm:sub', 'read', 10_000);
    expect(gate.retryAt('vm:sub', 'read')).toBe(30_000);
  });
});
