import { isIP } from 'node:net';

/**
 * The calling pod's IP in the form Kubernetes writes into `status.podIP`, or undefined when the socket address is
 * not an IP. Upstream cut the address at the first `:`, so IPv6 callers were never recognised (Q12); here IPv6 is
 * canonicalised (RFC 5952, lower case, zone dropped) and IPv4-mapped addresses (`::ffff:10.0.0.5`, as a dual-stack
 * listener reports IPv4 peers) become plain IPv4.
 */
export function canonicalCallerIp(remoteAddress: string | undefined): string | undefined {
  if (!remoteAddress) return undefined;
  const withoutZone = remoteAddress.split('%')[0] ?? '';
  const family = isIP(withoutZone);
  if (family === 4) return withoutZone;
  if (family !== 6) return undefined;
  return canonicalIpv6(withoutZone);
}

/** Same canonical form for an address read from a Pod object, so lookups compare like with like. */
export function canonicalPodIp(podIp: string): string {
  return canonicalCallerIp(podIp) ?? podIp;
}

function canonicalIpv6(address: string): string {
  // The WHATWG URL parser already implements RFC 5952 compression for IPv6 hosts.
  const compressed = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (mapped) {
    const high = Number.parseInt(mapped[1] ?? '0', 16);
    const low = Number.parseInt(mapped[2] ?? '0', 16);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return compressed;
}

/** `/host/token` is for host-network processes only (§3.6): loopback, in either family. */
export function isHostLoopback(callerIp: string | undefined): boolean {
  return callerIp === '127.0.0.1' || callerIp === '::1';
}
