import { describe, expect, test } from '@jest/globals';
import { FaultInjector } from './fault-injector.js';

describe('FaultInjector', () => {
  test('a counted fault fires exactly count times, then disarms', () => {
    const faults = new FaultInjector();
    faults.inject('vm_get', { status: 500, count: 2 });
    expect(faults.take('vm_get')).toEqual({ status: 500, retryAfterSeconds: 1 });
    expect(faults.take('vm_get')?.status).toBe(500);
    expect(faults.take('vm_get')).toBeUndefined();
    expect(faults.take('vmss_get')).toBeUndefined();
  });

  test('a rate fault fires when the random draw is below the rate', () => {
    const draws = [0.1, 0.9, 0.49, 0.5];
    const faults = new FaultInjector(() => draws.shift() ?? 1);
    faults.inject('imds_token', { status: 429, rate: 0.5, retryAfterSeconds: 3 });
    expect(faults.take('imds_token')).toEqual({ status: 429, retryAfterSeconds: 3 });
    expect(faults.take('imds_token')).toBeUndefined();
    expect(faults.take('imds_token')?.status).toBe(429);
    expect(faults.take('imds_token')).toBeUndefined();
    faults.clear();
    expect(faults.take('imds_token')).toBeUndefined();
  });

  test('nonsense specs are refused', () => {
    const faults = new FaultInjector();
    expect(() => faults.inject('x', { status: 200, count: 1 })).toThrow(RangeError);
    expect(() => faults.inject('x', { status: 500 })).toThrow('a fault needs a count or a rate');
  });
});
