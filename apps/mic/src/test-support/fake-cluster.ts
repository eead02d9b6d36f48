import type {
  ArmTarget,
  AzureAssignedIdentity,
  AzureIdentity,
  AzureIdentityBinding,
  IdentityDelta,
  Node,
  Pod,
} from '@podid/crd-types';
import { armTargetKey } from '@podid/crd-types';
import type { CacheSource, SourceChange } from '../controller.js';
import type { AssignedIdentityWriter, IdentityDeltaApplier } from '../plan-executor.js';

/** An in-memory informer cache whose change notifications arrive a macrotask late, like a real watch. */
export class FakeSource<T extends { metadata: { name: string; namespace?: string | undefined } }>
  implements CacheSource<T>
{
  private readonly objects = new Map<string, T>();
  private readonly listeners = new Set<(change: SourceChange<T>) => void>();
  private pending: Array<() => void> = [];

  list(): T[] {
    return [...this.objects.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }

  onChange(listener: (change: SourceChange<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Server-side state changes now; the cache (and listeners) see it after `deliver()` or a tick. */
  put(object: T): void {
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    this.pending.push(() => {
      const previous = this.objects.get(key);
      this.objects.set(key, object);
      this.emit(previous ? { type: 'update', object, previous } : { type: 'add', object });
    });
    setImmediate(() => this.deliver());
  }

  remove(namespace: string | undefined, name: string): void {
    const key = `${namespace ?? ''}/${name}`;
    this.pending.push(() => {
      const previous = this.objects.get(key);
      if (!previous) return;
      this.objects.delete(key);
      this.emit({ type: 'delete', object: previous });
    });
    setImmediate(() => this.deliver());
  }

  deliver(): void {
    const batch = this.pending;
    this.pending = [];
    for (const apply of batch) apply();
  }

  private emit(change: SourceChange<T>): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** AzureAssignedIdentity writes against a FakeSource, with resourceVersions and the usual conflicts. */
export class FakeAssignedIdentityStore implements AssignedIdentityWriter {
  readonly server = new Map<string, AzureAssignedIdentity>();
  readonly writes: string[] = [];
  /** Every remove fails, as a DELETE the API server keeps refusing. */
  failRemoves = false;
  /**
   * The watch event of a write reaches the cache before the write's response, as it often does against a real API
   * server (two connections); by default it arrives a macrotask after.
   */
  eventsBeforeResponse = false;
  private resourceVersion = 100;
  constructor(private readonly source: FakeSource<AzureAssignedIdentity>) {}

  private key(object: AzureAssignedIdentity): string {
    return `${object.metadata.namespace}/${object.metadata.name}`;
  }

  private store(object: AzureAssignedIdentity): AzureAssignedIdentity {
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.resourceVersion) } };
    this.server.set(this.key(stored), stored);
    this.source.put(stored);
    if (this.eventsBeforeResponse) this.source.deliver();
    return stored;
  }

  async create(object: AzureAssignedIdentity) {
    if (this.server.has(this.key(object))) throw new Error(`AlreadyExists ${this.key(object)}`);
    this.writes.push(`create ${this.key(object)}`);
    return this.store(object);
  }
  async update(object: AzureAssignedIdentity) {
    this.writes.push(`update ${this.key(object)}`);
    return this.store(object);
  }
  async setStatus(object: AzureAssignedIdentity, state: 'Assigned' | 'Unassigned') {
    const current = this.server.get(this.key(object));
    if (!current) throw new Error(`NotFound ${this.key(object)}`);
    this.writes.push(`status ${this.key(object)} ${state}`);
    return this.store({ ...current, status: { ...current.status, status: state } });
  }
  /** Status Unassigned and the finalizer gone, in one write (recorded as `status ... Unassigned`). */
  async unassign(object: AzureAssignedIdentity) {
    const current = this.server.get(this.key(object));
    if (!current) return undefined;
    this.writes.push(`status ${this.key(object)} Unassigned`);
    return this.store({
      ...current,
      metadata: { ...current.metadata, finalizers: [] },
      status: { ...current.status, status: 'Unassigned' },
    });
  }
  async remove(object: AzureAssignedIdentity) {
    this.writes.push(`remove ${this.key(object)}`);
    if (this.failRemoves) throw new Error(`InternalError: delete ${this.key(object)} refused`);
    // As kube-client's deleteAndReleaseFinalizer: the finalizer goes first (an update of its own), then the object.
    const current = this.server.get(this.key(object));
    if (current?.metadata.finalizers?.length)
      this.store({ ...current, metadata: { ...current.metadata, finalizers: [] } });
    this.server.delete(this.key(object));
    this.source.remove(object.metadata.namespace, object.metadata.name ?? '');
    if (this.eventsBeforeResponse) this.source.deliver();
  }
}

/** VM/VMSS identity sets with a PATCH counter per target; can be told to fail. */
export class FakeArm implements IdentityDeltaApplier {
  readonly identities = new Map<string, Set<string>>();
  readonly patches = new Map<string, number>();
  failing = false;
  /** Most ARM updates of one target seen under way at once (ARM allows one). */
  maxConcurrentPerTarget = 0;
  private readonly underWay = new Map<string, number>();
  private readonly holds = new Map<string, Promise<void>>();

  /** Updates of the VM/VMSS named `name` wait until the returned function is called (a slow ARM). */
  hold(name: string): () => void {
    let release: () => void = () => {};
    this.holds.set(
      name,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return () => {
      this.holds.delete(name);
      release();
    };
  }

  idsOn(target: ArmTarget): Set<string> {
    const key = armTargetKey(target);
    let set = this.identities.get(key);
    if (!set) {
      set = new Set();
      this.identities.set(key, set);
    }
    return set;
  }

  async applyIdentityDelta(target: ArmTarget, delta: IdentityDelta) {
    const key = armTargetKey(target);
    const running = (this.underWay.get(key) ?? 0) + 1;
    this.underWay.set(key, running);
    this.maxConcurrentPerTarget = Math.max(this.maxConcurrentPerTarget, running);
    try {
      await this.holds.get(target.name);
      return this.applyNow(target, delta);
    } finally {
      this.underWay.set(key, (this.underWay.get(key) ?? 1) - 1);
    }
  }

  private applyNow(target: ArmTarget, delta: IdentityDelta) {
    if (this.failing)
      return { status: 'failed' as const, error: new Error('InternalServerError'), dropped: [], patchCount: 0 };
    const ids = this.idsOn(target);
    for (const id of delta.remove) ids.delete(id.toLowerCase());
    for (const id of delta.add) ids.add(id.toLowerCase());
    const key = armTargetKey(target);
    this.patches.set(key, (this.patches.get(key) ?? 0) + 1);
    return {
      status: 'succeeded' as const,
      dropped: [],
      patchCount: 1,
      finalIdentityState: { userAssignedIdentityIds: [...ids] },
    };
  }

  async getIdentityState(target: ArmTarget) {
    return { userAssignedIdentityIds: [...this.idsOn(target)] };
  }
}

export function makeNode(name: string, vmss: string): Node {
  return {
    metadata: { name },
    spec: {
      providerID: `azure:///subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${name.split('-').pop()}`,
    },
  } as Node;
}

export function makePod(name: string, node: string, label: string, namespace = 'default'): Pod {
  return {
    metadata: { name, namespace, labels: { aadpodidbinding: label }, uid: `${namespace}-${name}` },
    spec: { nodeName: node },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  } as Pod;
}

export function makeIdentity(name: string, namespace = 'default'): AzureIdentity {
  return {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentity',
    metadata: { name, namespace, resourceVersion: '1' },
    spec: {
      type: 0,
      clientID: `client-${name}`,
      resourceID: `/subscriptions/sub/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
    },
  } as AzureIdentity;
}

export function makeBinding(
  name: string,
  identity: string,
  selector: string,
  namespace = 'default',
): AzureIdentityBinding {
  return {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentityBinding',
    metadata: { name, namespace, resourceVersion: '1' },
    spec: { azureIdentity: identity, selector },
  } as AzureIdentityBinding;
}
