/**
 * Pod addresses in 127.0.0.0/8. Every 127.x.y.z address is local on Linux, so a process can send from any of them
 * (`localAddress`, `curl --interface`) without root, and NMI tells pods apart by source address as in a cluster.
 */
export class PodAddressPool {
  private readonly inUse = new Set<string>();
  private next = 0;

  /**
   * @param base first two octets of the range, e.g. `127.0` → 127.0.1.1 … 127.0.255.254 (127.0.0.x is left to the
   *   servers: API server, emulators and NMIs listen on 127.0.0.1).
   */
  constructor(private readonly base = '127.0') {}

  private static readonly SIZE = 255 * 254;

  private addressAt(index: number): string {
    const third = 1 + Math.floor(index / 254);
    const fourth = 1 + (index % 254);
    return `${this.base}.${third}.${fourth}`;
  }

  /** Marks an address as taken (a pod that already has one, e.g. after a sandbox restart). */
  reserve(address: string): void {
    this.inUse.add(address);
  }

  allocate(): string {
    for (let tried = 0; tried < PodAddressPool.SIZE; tried++) {
      const address = this.addressAt(this.next);
      this.next = (this.next + 1) % PodAddressPool.SIZE;
      if (!this.inUse.has(address)) {
        this.inUse.add(address);
        return address;
      }
    }
    throw Object.assign(new Error(`no free pod address left in ${this.base}.0.0/16`), {
      code: 'pod_addresses_exhausted',
    });
  }

  release(address: string): void {
    this.inUse.delete(address);
  }

  get size(): number {
    return this.inUse.size;
  }
}
