import type { LeaseReading } from './cluster-objects.js';
import type { LeaseView } from './explanation-types.js';
import { secondsSince } from './object-age.js';

/** MIC's Lease as reported: who holds it, how long ago it was renewed, and whether that is within its duration. */
export function leaseView(lease: LeaseReading, nowMs: number): LeaseView {
  if (!lease.found) {
    return {
      namespace: lease.namespace,
      name: lease.name,
      found: false,
      holder: '',
      renewedSecondsAgo: null,
      leaseDurationSeconds: null,
      held: false,
      error: lease.error ?? null,
    };
  }
  const renewedSecondsAgo = secondsSince(nowMs, lease.renewTimeMs);
  const duration = lease.leaseDurationSeconds ?? null;
  return {
    namespace: lease.namespace,
    name: lease.name,
    found: true,
    holder: lease.holder,
    renewedSecondsAgo,
    leaseDurationSeconds: duration,
    held: lease.holder !== '' && renewedSecondsAgo !== null && duration !== null && renewedSecondsAgo <= duration,
    error: null,
  };
}
