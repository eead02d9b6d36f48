import { describe, expect, test } from '@jest/globals';
import { checkRouteLocalnet, type SysctlAccess } from './route-localnet.js';

function fakeSysctl(values: Record<string, string>): SysctlAccess & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    async read(key) {
      const value = values[key];
      if (value === undefined) throw new Error(`no such key ${key}`);
      return `${value}\n`;
    },
    async write(key, value) {
      writes.push(`${key}=${value}`);
      values[key] = value;
    },
  };
}

describe('checkRouteLocalnet', () => {
  test('not required for a non-loopback target', async () => {
    const sysctl = fakeSysctl({});
    expect(await checkRouteLocalnet({ targetIp: '10.240.0.4', sysctl })).toEqual({ ok: true, required: false });
  });

  test('ok when all=1, or when only the named interface has it', async () => {
    expect(
      await checkRouteLocalnet({
        targetIp: '127.0.0.1',
        sysctl: fakeSysctl({ 'net/ipv4/conf/all/route_localnet': '1' }),
      }),
    ).toEqual({ ok: true, required: true });
    const perInterface = fakeSysctl({
      'net/ipv4/conf/all/route_localnet': '0',
      'net/ipv4/conf/cbr0/route_localnet': '1',
    });
    expect(
      await checkRouteLocalnet({ targetIp: '127.0.0.1', interfaceName: 'cbr0', sysctl: perInterface }),
    ).toMatchObject({
      ok: true,
    });
  });

  test('says what is missing and how to fix it', async () => {
    const sysctl = fakeSysctl({ 'net/ipv4/conf/all/route_localnet': '0', 'net/ipv4/conf/cbr0/route_localnet': '0' });
    const status = await checkRouteLocalnet({ targetIp: '127.0.0.1', interfaceName: 'cbr0', sysctl });
    expect(status.ok).toBe(false);
    expect(status.problem).toContain('net.ipv4.conf.all.route_localnet=0, net.ipv4.conf.cbr0.route_localnet=0');
    expect(status.problem).toContain('sysctl -w net.ipv4.conf.cbr0.route_localnet=1');
    expect(sysctl.writes).toEqual([]);
  });

  test('enable writes the missing key', async () => {
    const sysctl = fakeSysctl({ 'net/ipv4/conf/all/route_localnet': '0' });
    const status = await checkRouteLocalnet({ targetIp: '127.0.0.1', sysctl, enable: true });
    expect(status).toEqual({ ok: true, required: true, enabled: 'net.ipv4.conf.all.route_localnet' });
    expect(sysctl.writes).toEqual(['net/ipv4/conf/all/route_localnet=1']);
  });
});
