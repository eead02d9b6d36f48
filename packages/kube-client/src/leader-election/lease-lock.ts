import { type CoordinationV1Api, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { isNotFound } from '../errors.js';

/** What a leader writes into the lock: the fields of coordination.k8s.io/v1 LeaseSpec that election uses. */
export interface LeaderElectionRecord {
  /** '' when the lease was released. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** Milliseconds since the epoch. */
  acquireTime: number;
  renewTime: number;
  leaseTransitions: number;
}

export interface ObservedLease {
  record: LeaderElectionRecord;
  /** Optimistic-concurrency token for the next update. */
  resourceVersion: string;
}

/** The storage an elector needs; a Lease in production, anything in unit tests. */
export interface LeaderLock {
  /** The current record, or undefined when the lock object does not exist. */
  get(): Promise<ObservedLease | undefined>;
  /** Creates the lock object; rejects (409) when someone else created it first. */
  create(record: LeaderElectionRecord): Promise<ObservedLease>;
  /** Replaces the record only if the object is still at `resourceVersion`; rejects (409) otherwise. */
  update(record: LeaderElectionRecord, resourceVersion: string): Promise<ObservedLease>;
  /** For logs: `<namespace>/<name>`. */
  describe(): string;
}

/**
 * A coordination.k8s.io/v1 Lease used as the lock (upstream used an Endpoints annotation; Leases are what client-go
 * recommends today and what RBAC-minded clusters allow). Timestamps are written as `V1MicroTime`: the API server
 * rejects `Date#toISOString()`'s three fractional digits for MicroTime fields.
 */
export class LeaseLock implements LeaderLock {
  constructor(
    private readonly coordination: CoordinationV1Api,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  async get(): Promise<ObservedLease | undefined> {
    try {
      return toObserved(await this.coordination.readNamespacedLease({ name: this.name, namespace: this.namespace }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async create(record: LeaderElectionRecord): Promise<ObservedLease> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: toLeaseSpec(record),
    };
    return toObserved(await this.coordination.createNamespacedLease({ namespace: this.namespace, body }));
  }

  async update(record: LeaderElectionRecord, resourceVersion: string): Promise<ObservedLease> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, resourceVersion },
      spec: toLeaseSpec(record),
    };
    return toObserved(
      await this.coordination.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body }),
    );
  }
}

function toLeaseSpec(record: LeaderElectionRecord): NonNullable<V1Lease['spec']> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: new V1MicroTime(record.acquireTime),
    renewTime: new V1MicroTime(record.renewTime),
    leaseTransitions: record.leaseTransitions,
  };
}

/** client-node leaves MicroTime fields as the server's strings when reading; accept both shapes. */
function toMillis(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? 0 : parsed;
  }
  return 0;
}

function toObserved(lease: V1Lease): ObservedLease {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: toMillis(spec.acquireTime),
      renewTime: toMillis(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}
