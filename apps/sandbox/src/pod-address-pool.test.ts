import { describe, expect, test } from '@jest/globals';
import { PodAddressPool } from './pod-address-pool.js';

describe('PodAddressPool', () => {
  test('hands out distinct 127.0.x.y addresses, skipping 127.0.0.x and .0/.255 host parts', () => {
    const pool = new PodAddressPool();
    const addresses = Array.from({ length: 600 }, () => pool.allocate());
    expect(new Set(addresses).size).toBe(600);
    expect(addresses[0]).toBe('127.0.1.1');
    expect(addresses[254]).toBe('127.0.2.1');
    for (const address of addresses) {
      const [, , third, fourth] = address.split('.').map(Number);
      expect(third).toBeGreaterThanOrEqual(1);
      expect(fourth).toBeGreaterThanOrEqual(1);
      expect(fourth).toBeLessThanOrEqual(254);
    }
  });

  test('never hands out a reserved address, and reuses released ones only after a full turn', () => {
    const pool = new PodAddressPool('127.9');
    pool.reserve('127.9.1.1');
    expect(pool.allocate()).toBe('127.9.1.2');
    pool.release('127.9.1.2');
    expect(pool.allocate()).toBe('127.9.1.3');
    expect(pool.size).toBe(2);
  });

  test('fails with a code when every address is taken', () => {
    const pool = new PodAddressPool();
    for (let i = 0; i < 255 * 254; i++) pool.allocate();
    expect(() => pool.allocate()).toThrow(expect.objectContaining({ code: 'pod_addresses_exhausted' }));
  });
});
