import type { KubeConnection } from '../connection/kube-connection.js';
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

/** coordination.k8s.io/v1 Lease, as far as election reads and writes it (wire format). */
interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/**
 * A coordination.k8s.io/v1 Lease used as the lock (upstream used an Endpoints annotation; Leases are what client-go
 * recommends today and what RBAC-minded clusters allow). Timestamps are written as MicroTime (six fractional
 * digits): the API server rejects `Date#toISOString()`'s three fractional digits for MicroTime fields.
 */
export class LeaseLock implements LeaderLock {
  constructor(
    private readonly connection: Pick<KubeConnection, 'request'>,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  private collection(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
  }

  private objectPath(): string {
    return `${this.collection()}/${encodeURIComponent(this.name)}`;
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  async get(): Promise<ObservedLease | undefined> {
    try {
      return toObserved(await this.connection.request<Lease>({ method: 'GET', path: this.objectPath() }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async create(record: LeaderElectionRecord): Promise<ObservedLease> {
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: toLeaseSpec(record),
    };
    return toObserved(await this.connection.request<Lease>({ method: 'POST', path: this.collection(), body }));
  }

  async update(record: LeaderElectionRecord, resourceVersion: string): Promise<ObservedLease> {
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, resourceVersion },
      spec: toLeaseSpec(record),
    };
    return toObserved(await this.connection.request<Lease>({ method: 'PUT', path: this.objectPath(), body }));
  }
}

/** RFC 3339 with microseconds, e.g. `2026-01-01T00:00:00.123000Z` (metav1.MicroTime's wire format). */
export function formatMicroTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, (_, millis: string) => `.${millis}000Z`);
}

function toLeaseSpec(record: LeaderElectionRecord): NonNullable<Lease['spec']> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: formatMicroTime(record.acquireTime),
    renewTime: formatMicroTime(record.renewTime),
    leaseTransitions: record.leaseTransitions,
  };
}

function toMillis(value: unknown): number {
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? 0 : parsed;
  }
  return 0;
}

function toObserved(lease: Lease): ObservedLease {
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
