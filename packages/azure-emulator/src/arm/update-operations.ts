import { randomUUID } from 'node:crypto';
import type { ComputeIdentity, ComputeRecord } from '../state/azure-state.js';
import { normalizeResourceId } from '../state/resource-id.js';

/** One long-running PATCH of a VM or VMSS, as exposed by the Azure-AsyncOperation status resource. */
export interface UpdateOperation {
  id: string;
  resource: ComputeRecord;
  target: ComputeIdentity;
  status: 'InProgress' | 'Succeeded';
  startTime: number;
  endTime: number | undefined;
}

/**
 * Runs PATCHes as long-running operations: the new identity becomes the resource's state (and so visible to
 * GET and IMDS) only when the operation completes, after the configured latency. Operations on one resource
 * run one after another.
 */
export class UpdateOperations {
  private readonly operations = new Map<string, UpdateOperation>();
  /** The last not-yet-completed operation per resource; later PATCHes chain after it. */
  private readonly pending = new Map<string, { op: UpdateOperation; done: Promise<void> }>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly now: () => number) {}

  /** The identity the resource will have once queued operations finish (what a new PATCH applies to). */
  projectedIdentity(resource: ComputeRecord): ComputeIdentity {
    return this.pending.get(normalizeResourceId(resource.id))?.op.target ?? resource.identity;
  }

  inFlight(resource: ComputeRecord): UpdateOperation | undefined {
    return this.pending.get(normalizeResourceId(resource.id))?.op;
  }

  get(id: string): UpdateOperation | undefined {
    return this.operations.get(id.toLowerCase());
  }

  start(resource: ComputeRecord, target: ComputeIdentity, latencyMs: number): UpdateOperation {
    const key = normalizeResourceId(resource.id);
    const op: UpdateOperation = {
      id: randomUUID(),
      resource,
      target,
      status: 'InProgress',
      startTime: this.now(),
      endTime: undefined,
    };
    this.operations.set(op.id, op);
    resource.provisioningState = 'Updating';
    const previous = this.pending.get(key)?.done ?? Promise.resolve();
    const done = previous.then(() => this.delay(latencyMs)).then(() => this.complete(key, op));
    this.pending.set(key, { op, done });
    return op;
  }

  /** Cancels pending timers (the server is closing); operations stay InProgress. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private complete(key: string, op: UpdateOperation): void {
    op.resource.identity = op.target;
    op.status = 'Succeeded';
    op.endTime = this.now();
    if (this.pending.get(key)?.op === op) {
      this.pending.delete(key);
      if (op.resource.provisioningState === 'Updating') op.resource.provisioningState = 'Succeeded';
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
