import { type Clock, systemClock } from '../clock.js';
import { type KubeConnection, PatchType } from '../connection/kube-connection.js';
import { describeError, isNotFound } from '../errors.js';
import { type KubeLogger, silentLogger } from '../logger.js';

/** Upstream's event source component (spec §2.1 step 9). */
export const DEFAULT_EVENT_COMPONENT = 'aadpodidentity.k8s.io';

/** Event reasons MIC emits (spec §2.12), plus ours for objects that fail validation. */
export const EventReason = {
  BindingApplied: 'binding applied',
  BindingApplyError: 'binding apply error',
  BindingRemoved: 'binding removed',
  BindingRemoveError: 'binding remove error',
  StatusUpdateError: 'status update error',
  InvalidObject: 'invalid object',
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];

export type EventType = 'Normal' | 'Warning';

/** The object an event is about (core/v1 ObjectReference). */
export interface InvolvedObject {
  apiVersion?: string | undefined;
  kind: string;
  namespace?: string | undefined;
  name: string;
  uid?: string | undefined;
  resourceVersion?: string | undefined;
}

export interface EventRecorderOptions {
  connection: Pick<KubeConnection, 'request'>;
  /** `source.component`; default `aadpodidentity.k8s.io`. */
  component?: string;
  /** `source.host` / `reportingInstance`, e.g. the pod name. */
  host?: string;
  /** Identical events within this window bump `count` on one Event instead of creating another (default 10 min). */
  aggregationWindowMs?: number;
  /** Events waiting to be written beyond this are dropped (and logged), so a dead API server cannot grow memory. */
  maxPending?: number;
  clock?: Clock;
  logger?: KubeLogger;
}

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  lastSeen: number;
}

const MAX_AGGREGATES = 4096;

const eventsPath = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;

/** Builds a reference from an object carrying metadata; `fallback` supplies apiVersion/kind when the object lacks them. */
export function referenceTo(
  object: {
    apiVersion?: string | undefined;
    kind?: string | undefined;
    metadata: {
      name: string;
      namespace?: string | undefined;
      uid?: string | undefined;
      resourceVersion?: string | undefined;
    };
  },
  fallback: { apiVersion: string; kind: string },
): InvolvedObject {
  return {
    apiVersion: object.apiVersion ?? fallback.apiVersion,
    kind: object.kind ?? fallback.kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    uid: object.metadata.uid,
    resourceVersion: object.metadata.resourceVersion,
  };
}

/**
 * Writes core/v1 Events without ever blocking or failing the caller: `record` queues, one writer drains the queue in
 * order, and errors are logged. Repeats of an identical event are folded into one Event with a growing `count`, as
 * client-go's correlator does, to spare etcd during crash loops of reconciliation errors.
 */
export class EventRecorder {
  private readonly options: EventRecorderOptions;
  private readonly component: string;
  private readonly clock: Clock;
  private readonly logger: KubeLogger;
  private readonly aggregates = new Map<string, Aggregate>();
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private sequence = 0;

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.component = options.component ?? DEFAULT_EVENT_COMPONENT;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  normal(involved: InvolvedObject, reason: string, message: string): void {
    this.record(involved, 'Normal', reason, message);
  }

  warning(involved: InvolvedObject, reason: string, message: string): void {
    this.record(involved, 'Warning', reason, message);
  }

  record(involved: InvolvedObject, type: EventType, reason: string, message: string): void {
    if (this.pending >= (this.options.maxPending ?? 1000)) {
      this.logger.warn({ reason, kind: involved.kind, name: involved.name }, 'event queue full; dropping event');
      return;
    }
    this.pending += 1;
    const at = this.clock.now();
    this.tail = this.tail
      .then(() => this.write(involved, type, reason, message, at))
      .catch((error: unknown) => {
        this.logger.warn(
          { reason, kind: involved.kind, name: involved.name, err: describeError(error) },
          'could not write event',
        );
      })
      .finally(() => {
        this.pending -= 1;
      });
  }

  /** Resolves when every event recorded so far has been written (or has failed and been logged). */
  flush(): Promise<void> {
    return this.tail;
  }

  private async write(
    involved: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
    at: number,
  ): Promise<void> {
    const namespace = involved.namespace || 'default';
    const key = JSON.stringify([involved.kind, namespace, involved.name, involved.uid ?? '', type, reason, message]);
    const existing = this.aggregates.get(key);
    const window = this.options.aggregationWindowMs ?? 600_000;
    if (existing && at - existing.lastSeen <= window) {
      try {
        await this.options.connection.request({
          method: 'PATCH',
          path: `${eventsPath(existing.namespace)}/${encodeURIComponent(existing.name)}`,
          body: { count: existing.count + 1, lastTimestamp: new Date(at).toISOString() },
          contentType: PatchType.MergePatch,
        });
        existing.count += 1;
        existing.lastSeen = at;
        return;
      } catch (error) {
        if (!isNotFound(error)) throw error;
        this.aggregates.delete(key); // someone deleted the Event (or it expired): start a new one
      }
    }
    const name = `${involved.name}.${(BigInt(at) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)).toString(16)}`;
    const timestamp = new Date(at).toISOString();
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        ...(involved.apiVersion ? { apiVersion: involved.apiVersion } : {}),
        kind: involved.kind,
        name: involved.name,
        namespace,
        ...(involved.uid ? { uid: involved.uid } : {}),
        ...(involved.resourceVersion ? { resourceVersion: involved.resourceVersion } : {}),
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: this.component, ...(this.options.host ? { host: this.options.host } : {}) },
      reportingComponent: this.component,
      ...(this.options.host ? { reportingInstance: this.options.host } : {}),
    };
    await this.options.connection.request({ method: 'POST', path: eventsPath(namespace), body });
    this.aggregates.set(key, { name, namespace, count: 1, lastSeen: at });
    if (this.aggregates.size > MAX_AGGREGATES) {
      const oldest = this.aggregates.keys().next().value;
      if (oldest !== undefined) this.aggregates.delete(oldest);
    }
  }
}
