/**
 * The API semantics behind the HTTP routes: create/get/list/update/patch/delete with resourceVersion preconditions,
 * generateName, status subresources, finalizers, namespace lifecycle and CRD registration.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { decodeContinue, encodeContinue } from './continue-tokens.js';
import type { ObjectStore } from './object-store.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, type PatchKind } from './patching.js';
import { apiVersionOf, type KubeObject, type ResourceType } from './resource-types.js';
import { combinePredicates, parseFieldSelector, parseLabelSelector, type ObjectPredicate } from './selectors.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  failureStatus,
  forbidden,
  notFound,
  STALE_OBJECT_MESSAGE,
} from './status-errors.js';
import { TypeRegistry } from './type-registry.js';
import { crdStatus, deletedResponse, PROTECTED_NAMESPACES, prepareForCreate } from './type-strategies.js';
import { checkDecodable, requireName, validateCrd, validateName } from './validation.js';
import { type FieldValidation, validateCustomResource } from './schema-validation.js';
import {
  FOREGROUND_FINALIZER,
  GarbageCollector,
  type GcHost,
  type ObjectLocator,
  ORPHAN_FINALIZER,
  type PropagationPolicy,
} from './garbage-collector.js';
import {
  checkApply,
  managedFieldsAfterApply,
  managedFieldsAfterUpdate,
  removeField,
  type WriteIdentity,
} from './managed-fields.js';

export interface ListOptions {
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continueToken?: string | undefined;
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  orphanDependents?: boolean;
  dryRun?: string[];
}

/** How a write is carried out: dry run (nothing stored, no event, no resourceVersion consumed) and who writes. */
export interface WriteOptions {
  dryRun?: boolean;
  /** The field manager named by the query's `fieldManager`. */
  fieldManager?: string;
  /** The manager of an update that names none: the User-Agent's product name, as on the real server. */
  defaultFieldManager?: string;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  /** `fieldValidation` for custom resources' unknown fields (default Warn). */
  fieldValidation?: FieldValidation;
  /** Filled with the warnings the answer should carry (`Warning: 299 - "..."` headers). */
  warnings?: string[];
}

/** Internal: the write is a server-side apply of this configuration. */
interface InternalWriteOptions extends WriteOptions {
  applyConfig?: KubeObject;
}

function managedWithoutTimes(entries: unknown): string {
  if (!Array.isArray(entries)) return '[]';
  return JSON.stringify(entries.map((e: KubeObject) => ({ ...e, time: undefined })));
}

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function isObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Compares objects the way a no-op update is detected: ignoring resourceVersion and managedFields. */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = o['metadata'] ?? {};
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(a) === strip(b);
}

function withoutMetaAndStatus(o: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}

/** Apply patches must name their manager; the real server's 422 on the PatchOptions. */
function fieldManagerRequired(): ApiError {
  const message = 'Required value: is required for apply patch';
  return new ApiError(
    'INVALID',
    failureStatus(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: fieldManager: ${message}`, {
      group: 'meta.k8s.io',
      kind: 'PatchOptions',
      causes: [{ reason: 'FieldValueRequired', message, field: 'fieldManager' }],
    }),
  );
}

/** DeleteOptions' propagation, validated as the real server does (`orphanDependents` is the old spelling). */
function propagationPolicyOf(options: DeleteOptions | undefined): PropagationPolicy {
  const policy = options?.propagationPolicy;
  const orphan = options?.orphanDependents;
  const fail = (field: string, message: string): ApiError =>
    new ApiError(
      'INVALID',
      failureStatus(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, {
        group: 'meta.k8s.io',
        kind: 'DeleteOptions',
        causes: [{ reason: 'FieldValueInvalid', message, field }],
      }),
    );
  if (policy !== undefined && orphan !== undefined) {
    throw fail(
      'propagationPolicy',
      'Invalid value: "null": orphanDependents and deletionPropagation cannot be both set',
    );
  }
  if (orphan !== undefined) return orphan ? 'Orphan' : 'Background';
  if (policy === undefined || policy === '') return 'Background';
  if (policy === 'Background' || policy === 'Foreground' || policy === 'Orphan') return policy;
  throw fail(
    'propagationPolicy',
    `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
  );
}

export class ResourceService {
  readonly types = new TypeRegistry();
  private readonly gc: GarbageCollector;

  constructor(
    readonly store: ObjectStore,
    private readonly now: () => number,
  ) {
    this.gc = new GarbageCollector(this.gcHost());
    store.observer = (type, storageKey, obj) => this.gc.observe(type, storageKey, obj);
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create(this.namespaceType(), '', { metadata: { name } });
    }
  }

  /** Stops background work (garbage collection passes) when the server closes. */
  stop(): void {
    this.gc.stop();
  }

  private typeOfStorageKey(storageKey: string): ResourceType | undefined {
    return this.types.all().find((t) => TypeRegistry.storageKey(t) === storageKey);
  }

  /** The garbage collector writes through the same paths as clients, as the real controller does. */
  private gcHost(): GcHost {
    const gcWrite: InternalWriteOptions = { fieldManager: 'generic-garbage-collector' };
    const rewrite = (at: ObjectLocator, change: (meta: KubeObject) => void): void => {
      const rt = this.typeOfStorageKey(at.storageKey);
      const current = this.store.get(at.storageKey, at.namespace, at.name);
      if (rt === undefined || current === undefined) return;
      const incoming = structuredClone(current);
      change(incoming['metadata']);
      this.replace(rt, at.namespace, at.name, incoming, undefined, gcWrite);
    };
    return {
      read: (at) => this.store.get(at.storageKey, at.namespace, at.name),
      resolveOwner: (ref, dependentNamespace) => {
        const [group, version] = String(ref.apiVersion ?? '').includes('/')
          ? String(ref.apiVersion).split('/')
          : ['', String(ref.apiVersion ?? '')];
        const rt =
          this.types.all().find((t) => t.group === group && t.version === version && t.kind === ref.kind) ??
          this.types.all().find((t) => t.group === group && t.kind === ref.kind);
        if (rt === undefined) return 'unresolvable';
        const owner = this.store.get(
          TypeRegistry.storageKey(rt),
          rt.namespaced ? dependentNamespace : '',
          String(ref.name),
        );
        return owner !== undefined && owner['metadata'].uid === ref.uid ? owner : undefined;
      },
      deleteObject: (at, policy) => {
        const rt = this.typeOfStorageKey(at.storageKey);
        if (rt === undefined) return;
        try {
          this.delete(rt, at.namespace, at.name, { propagationPolicy: policy });
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
        }
      },
      setOwnerReferences: (at, refs) =>
        rewrite(at, (meta) => {
          if (refs.length > 0) meta.ownerReferences = refs;
          else delete meta.ownerReferences;
        }),
      removeFinalizer: (at, finalizer) =>
        rewrite(at, (meta) => {
          meta.finalizers = (meta.finalizers ?? []).filter((f: string) => f !== finalizer);
          if (meta.finalizers.length === 0) delete meta.finalizers;
        }),
    };
  }

  namespaceType(): ResourceType {
    return this.types.lookup('', 'v1', 'namespaces')!;
  }

  private timestamp(): string {
    return new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  /** Objects are stored with the storage version; reads through another served version only relabel apiVersion. */
  present(rt: ResourceType, obj: KubeObject): KubeObject {
    const apiVersion = apiVersionOf(rt);
    return obj['apiVersion'] === apiVersion ? obj : { ...obj, apiVersion };
  }

  private requireNamespace(rt: ResourceType, namespace: string, name: string, forCreate: boolean): void {
    if (!rt.namespaced) return;
    const ns = this.store.get(TypeRegistry.storageKey(this.namespaceType()), '', namespace);
    if (ns === undefined) throw notFound({ group: '', plural: 'namespaces' }, namespace);
    if (forCreate && ns['metadata']?.deletionTimestamp !== undefined) {
      throw forbidden(
        rt,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private decode(rt: ResourceType, namespace: string, body: unknown): KubeObject {
    if (!isObject(body))
      throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: expected an object`);
    if (body['kind'] !== undefined && body['kind'] !== rt.kind) {
      throw badRequest(
        `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: the kind "${String(body['kind'])}" does not match "${rt.kind}"`,
      );
    }
    checkDecodable(rt, body);
    const obj = structuredClone(body);
    obj['apiVersion'] = apiVersionOf(rt);
    obj['kind'] = rt.kind;
    obj['metadata'] = isObject(obj['metadata']) ? obj['metadata'] : {};
    if (rt.namespaced) {
      const bodyNs = obj['metadata'].namespace;
      if (bodyNs !== undefined && bodyNs !== '' && bodyNs !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj['metadata'].namespace = namespace;
    } else {
      delete obj['metadata'].namespace;
    }
    return obj;
  }

  exists(rt: ResourceType, namespace: string, name: string): boolean {
    return this.store.get(TypeRegistry.storageKey(rt), rt.namespaced ? namespace : '', name) !== undefined;
  }

  get(rt: ResourceType, namespace: string, name: string): KubeObject {
    const obj = this.store.get(TypeRegistry.storageKey(rt), rt.namespaced ? namespace : '', name);
    if (obj === undefined) throw notFound(rt, name);
    return this.present(rt, obj);
  }

  private identity(rt: ResourceType, opts: WriteOptions, subresource: string | undefined): WriteIdentity {
    return {
      manager: opts.fieldManager ?? opts.defaultFieldManager ?? 'kube-apiserver',
      subresource,
      apiVersion: apiVersionOf(rt),
      time: this.timestamp(),
    };
  }

  private checkSchema(rt: ResourceType, obj: KubeObject, opts: WriteOptions): void {
    if (!rt.isCustom) return;
    const warnings = validateCustomResource(rt, obj, opts.fieldValidation ?? 'Warn');
    if (warnings.length > 0) opts.warnings?.push(...warnings);
  }

  create(rt: ResourceType, namespace: string, body: unknown, opts: InternalWriteOptions = {}): KubeObject {
    const obj = this.decode(rt, namespace, body);
    const meta = obj['metadata'];
    if (typeof meta.name !== 'string' || meta.name === '') {
      if (typeof meta.generateName !== 'string' || meta.generateName === '') requireName(rt);
      let suffix = '';
      for (const b of randomBytes(5)) suffix += NAME_SUFFIX_ALPHABET[b % NAME_SUFFIX_ALPHABET.length];
      meta.name = `${meta.generateName}${suffix}`;
    }
    validateName(rt, meta.name);
    this.requireNamespace(rt, namespace, meta.name, true);
    const storageKey = TypeRegistry.storageKey(rt);
    // Decoding (pruning, strict field errors) and validation come before storage, so 400/422 win over 409.
    if (rt.isCustom && rt.hasStatusSubresource) delete obj['status'];
    this.checkSchema(rt, obj, opts);
    if (this.store.get(storageKey, rt.namespaced ? namespace : '', meta.name) !== undefined)
      throw alreadyExists(rt, meta.name);
    prepareForCreate(rt, obj, this.types, this.timestamp());
    meta.uid = randomUUID();
    meta.creationTimestamp = this.timestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (rt.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    delete meta.managedFields;
    const who = this.identity(rt, opts, undefined);
    meta.managedFields =
      opts.applyConfig === undefined
        ? managedFieldsAfterUpdate(rt, undefined, obj, who)
        : managedFieldsAfterApply(rt, undefined, opts.applyConfig, obj, who);
    if (meta.managedFields.length === 0) delete meta.managedFields;
    if (opts.dryRun === true) {
      // The real server answers a dry-run create without a resourceVersion: none was allocated.
      delete meta.resourceVersion;
      return this.present(rt, obj);
    }
    meta.resourceVersion = String(this.store.nextRevision());
    this.store.put(storageKey, obj, 'ADDED');
    this.afterWrite(rt, obj);
    return this.present(rt, obj);
  }

  private afterWrite(rt: ResourceType, obj: KubeObject): void {
    if (rt.group === 'apiextensions.k8s.io' && rt.plural === 'customresourcedefinitions') {
      if (obj['metadata'].deletionTimestamp === undefined) this.types.serveCrd(obj);
    }
    // The service-account controller gives every new namespace a `default` ServiceAccount.
    if (rt.group === '' && rt.plural === 'namespaces' && obj['metadata'].resourceVersion !== undefined) {
      const saType = this.types.lookup('', 'v1', 'serviceaccounts')!;
      const namespace = String(obj['metadata'].name);
      if (obj['metadata'].deletionTimestamp === undefined && !this.exists(saType, namespace, 'default')) {
        this.create(saType, namespace, { metadata: { name: 'default' } });
      }
    }
  }

  /**
   * PUT. `subresource` 'status' takes only the status from the body; the main resource keeps the stored status when
   * the type has a status subresource.
   */
  update(
    rt: ResourceType,
    namespace: string,
    name: string,
    body: unknown,
    subresource?: 'status',
    opts: WriteOptions = {},
  ): KubeObject {
    const incoming = this.decode(rt, namespace, body);
    const bodyName = incoming['metadata'].name;
    if (bodyName !== undefined && bodyName !== name) {
      throw badRequest(`the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`);
    }
    incoming['metadata'].name = name;
    return this.replace(rt, namespace, name, incoming, subresource, opts);
  }

  private replace(
    rt: ResourceType,
    namespace: string,
    name: string,
    incoming: KubeObject,
    subresource: 'status' | undefined,
    opts: InternalWriteOptions,
  ): KubeObject {
    const ns = rt.namespaced ? namespace : '';
    const storageKey = TypeRegistry.storageKey(rt);
    const current = this.store.get(storageKey, ns, name);
    if (current === undefined) throw notFound(rt, name);
    const wantedRv = incoming['metadata'].resourceVersion;
    if (wantedRv !== undefined && wantedRv !== '' && String(wantedRv) !== current['metadata'].resourceVersion) {
      throw conflict(rt, name, STALE_OBJECT_MESSAGE);
    }
    // An empty uid is no precondition (the API server's rule): Helm's release storage PUTs Secrets with uid "".
    const wantedUid = incoming['metadata'].uid;
    if (wantedUid !== undefined && wantedUid !== '' && wantedUid !== current['metadata'].uid) {
      throw conflict(
        rt,
        name,
        `Precondition failed: UID in precondition: ${incoming['metadata'].uid}, UID in object meta: ${current['metadata'].uid}`,
      );
    }
    let next: KubeObject;
    if (subresource === 'status') {
      // Fresh metadata: the stored object (also history's "previous") must never be mutated.
      // A deep copy: schema pruning and defaulting below work in place and stored objects must never change.
      next = { ...structuredClone(current), status: incoming['status'] };
      if (incoming['status'] === undefined) delete next['status'];
    } else {
      next = incoming;
      next['metadata'] = {
        ...incoming['metadata'],
        uid: current['metadata'].uid,
        creationTimestamp: current['metadata'].creationTimestamp,
      };
      for (const keep of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
        if (current['metadata'][keep] !== undefined) next['metadata'][keep] = current['metadata'][keep];
        else delete next['metadata'][keep];
      }
      if (rt.hasStatusSubresource) {
        // Custom resources' schema pruning works in place: never on the stored status.
        if (current['status'] !== undefined)
          next['status'] = rt.isCustom ? structuredClone(current['status']) : current['status'];
        else delete next['status'];
      }
      if (rt.group === '' && rt.plural === 'namespaces') next['spec'] = current['spec'];
      if (rt.group === 'apiextensions.k8s.io') {
        validateCrd(rt, next);
        next['status'] = crdStatus(next, this.timestamp());
      }
    }
    next['metadata'].resourceVersion = current['metadata'].resourceVersion;
    if (rt.tracksGeneration && withoutMetaAndStatus(next) !== withoutMetaAndStatus(current)) {
      next['metadata'].generation = Number(current['metadata'].generation ?? 0) + 1;
    }
    this.checkSchema(rt, next, opts);
    const who = this.identity(rt, opts, subresource);
    const managed =
      opts.applyConfig === undefined
        ? managedFieldsAfterUpdate(rt, current, next, who)
        : managedFieldsAfterApply(rt, current, opts.applyConfig, next, who);
    if (managed.length > 0) next['metadata'].managedFields = managed;
    else delete next['metadata'].managedFields;
    const ownershipChanged =
      managedWithoutTimes(managed) !== managedWithoutTimes(current['metadata'].managedFields ?? []);
    if (sameContent(next, current) && !ownershipChanged) return this.present(rt, current);
    if (opts.dryRun === true) return this.present(rt, next);
    if (next['metadata'].deletionTimestamp !== undefined && (next['metadata'].finalizers ?? []).length === 0) {
      return this.present(rt, this.removeNow(rt, next));
    }
    next['metadata'].resourceVersion = String(this.store.nextRevision());
    this.store.put(storageKey, next, 'MODIFIED', current);
    this.afterWrite(rt, next);
    return this.present(rt, next);
  }

  patch(
    rt: ResourceType,
    namespace: string,
    name: string,
    kind: PatchKind,
    body: unknown,
    subresource?: 'status',
    opts: WriteOptions = {},
  ): KubeObject {
    const ns = rt.namespaced ? namespace : '';
    const current = this.store.get(TypeRegistry.storageKey(rt), ns, name);
    if (kind === 'apply') {
      if (opts.fieldManager === undefined) throw fieldManagerRequired();
      if (!isObject(body)) throw badRequest('error decoding YAML: the apply configuration must be an object');
    }
    const applyOpts: InternalWriteOptions = kind === 'apply' ? { ...opts, applyConfig: body as KubeObject } : opts;
    if (current === undefined) {
      if (kind === 'apply' && subresource === undefined)
        return this.create(
          rt,
          namespace,
          { ...(body as KubeObject), metadata: { ...(body as KubeObject)['metadata'], name } },
          applyOpts,
        );
      throw notFound(rt, name);
    }
    const removals =
      kind === 'apply'
        ? checkApply(rt, current, body as KubeObject, this.identity(rt, opts, subresource), opts.force === true)
            .removals
        : [];
    let patched: KubeObject;
    switch (kind) {
      case 'json':
        patched = applyJsonPatch(current, body, rt, rt.kind, name);
        break;
      case 'merge':
        patched = applyMergePatch(current, body) as KubeObject;
        break;
      case 'strategic':
        patched = applyStrategicMergePatch(current, body, rt.plural);
        break;
      case 'apply':
        patched = rt.isCustom
          ? (applyMergePatch(current, body) as KubeObject)
          : applyStrategicMergePatch(current, body, rt.plural);
        break;
    }
    if (!isObject(patched)) throw badRequest('the patch did not produce an object');
    const incoming = this.decode(rt, namespace, patched);
    // Fields the applier stopped applying, and nobody else owns, are removed (decode cloned, so this is safe).
    for (const path of removals) removeField(incoming, path);
    incoming['metadata'].name = name;
    return this.replace(rt, namespace, name, incoming, subresource, applyOpts);
  }

  delete(
    rt: ResourceType,
    namespace: string,
    name: string,
    options?: DeleteOptions,
    opts: WriteOptions = {},
  ): KubeObject {
    const ns = rt.namespaced ? namespace : '';
    const storageKey = TypeRegistry.storageKey(rt);
    const current = this.store.get(storageKey, ns, name);
    if (current === undefined) throw notFound(rt, name);
    const pre = options?.preconditions;
    if (pre?.uid !== undefined && pre.uid !== current['metadata'].uid) {
      throw conflict(
        rt,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current['metadata'].uid}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current['metadata'].resourceVersion) {
      throw conflict(
        rt,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current['metadata'].resourceVersion}`,
      );
    }
    const policy = propagationPolicyOf(options);
    if (rt.group === '' && rt.plural === 'namespaces')
      return this.present(rt, this.beginNamespaceDeletion(rt, current, opts.dryRun === true));
    // Foreground and orphan deletion wait for the garbage collector behind a finalizer of their own.
    const gcFinalizer =
      policy === 'Foreground' ? FOREGROUND_FINALIZER : policy === 'Orphan' ? ORPHAN_FINALIZER : undefined;
    const finalizers: string[] = current['metadata'].finalizers ?? [];
    if (finalizers.length > 0 || gcFinalizer !== undefined) {
      if (current['metadata'].deletionTimestamp !== undefined) return this.present(rt, current);
      const marked: KubeObject = {
        ...current,
        metadata: { ...current['metadata'], deletionTimestamp: this.timestamp(), deletionGracePeriodSeconds: 0 },
      };
      if (gcFinalizer !== undefined && !finalizers.includes(gcFinalizer))
        marked['metadata'].finalizers = [...finalizers, gcFinalizer];
      if (rt.tracksGeneration) marked['metadata'].generation = Number(current['metadata'].generation ?? 0) + 1;
      if (opts.dryRun === true) return this.present(rt, marked);
      marked['metadata'].resourceVersion = String(this.store.nextRevision());
      this.store.put(storageKey, marked, 'MODIFIED', current);
      return this.present(rt, marked);
    }
    if (opts.dryRun === true) return deletedResponse(rt, this.present(rt, current));
    return deletedResponse(rt, this.present(rt, this.removeNow(rt, current)));
  }

  private removeNow(rt: ResourceType, obj: KubeObject): KubeObject {
    const storageKey = TypeRegistry.storageKey(rt);
    const finalState: KubeObject = {
      ...obj,
      metadata: { ...obj['metadata'], resourceVersion: String(this.store.nextRevision()) },
    };
    this.store.remove(storageKey, finalState);
    if (rt.group === 'apiextensions.k8s.io' && rt.plural === 'customresourcedefinitions') this.dropCrdType(obj);
    const ns = obj['metadata'].namespace;
    if (typeof ns === 'string' && ns !== '') this.finishNamespaceIfEmpty(ns);
    return finalState;
  }

  /** Deleting a CRD deletes all its custom resources, then stops serving the type. */
  private dropCrdType(crd: KubeObject): void {
    const types = this.types.forgetCrd(String(crd['metadata'].name));
    const first = types[0];
    if (first === undefined) return;
    const storageKey = TypeRegistry.storageKey(first);
    for (const [, obj] of [...this.store.iterate(storageKey, undefined)]) {
      const finalState = {
        ...obj,
        metadata: { ...obj['metadata'], resourceVersion: String(this.store.nextRevision()) },
      };
      this.store.remove(storageKey, finalState);
    }
  }

  private beginNamespaceDeletion(rt: ResourceType, current: KubeObject, dryRun: boolean): KubeObject {
    const name = String(current['metadata'].name);
    if (PROTECTED_NAMESPACES.has(name)) throw forbidden(rt, name, 'this namespace may not be deleted');
    if (current['metadata'].deletionTimestamp !== undefined) return current;
    const terminating: KubeObject = {
      ...current,
      metadata: { ...current['metadata'], deletionTimestamp: this.timestamp() },
      status: { ...current['status'], phase: 'Terminating' },
    };
    if (dryRun) return terminating;
    terminating['metadata'].resourceVersion = String(this.store.nextRevision());
    this.store.put(TypeRegistry.storageKey(rt), terminating, 'MODIFIED', current);
    // The namespace controller runs after the DELETE has answered, as on a real cluster.
    setImmediate(() => this.purgeNamespace(name));
    return terminating;
  }

  private purgeNamespace(namespace: string): void {
    for (const storageKey of this.store.storageKeysWithObjectsIn(namespace)) {
      const rt = this.types.all().find((t) => TypeRegistry.storageKey(t) === storageKey);
      if (rt === undefined) continue;
      for (const [, obj] of [...this.store.iterate(storageKey, namespace)]) {
        try {
          this.delete(rt, namespace, String(obj['metadata'].name));
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
        }
      }
    }
    this.finishNamespaceIfEmpty(namespace);
  }

  private finishNamespaceIfEmpty(namespace: string): void {
    const nsType = this.namespaceType();
    const ns = this.store.get(TypeRegistry.storageKey(nsType), '', namespace);
    if (ns === undefined || ns['metadata'].deletionTimestamp === undefined) return;
    if (this.store.storageKeysWithObjectsIn(namespace).length > 0) return;
    const finalState = {
      ...ns,
      spec: { finalizers: [] },
      metadata: { ...ns['metadata'], resourceVersion: String(this.store.nextRevision()) },
    };
    this.store.remove(TypeRegistry.storageKey(nsType), finalState);
  }

  selectorFor(rt: ResourceType, options: ListOptions, namespace: string | undefined): ObjectPredicate | undefined {
    const label = parseLabelSelector(options.labelSelector);
    const field = parseFieldSelector(options.fieldSelector, rt.selectableFields);
    const nsPredicate: ObjectPredicate | undefined =
      rt.namespaced && namespace !== undefined ? (o) => o['metadata']?.namespace === namespace : undefined;
    return combinePredicates(nsPredicate, label, field);
  }

  list(rt: ResourceType, namespace: string | undefined, options: ListOptions): KubeObject {
    const predicate = this.selectorFor(rt, options, undefined);
    const revision = this.store.currentRevision;
    let afterKey: string | undefined;
    if (options.continueToken !== undefined && options.continueToken !== '')
      afterKey = decodeContinue(options.continueToken);
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Number.POSITIVE_INFINITY;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let more = false;
    const ns = rt.namespaced ? namespace : undefined;
    const storageKey = TypeRegistry.storageKey(rt);
    for (const [key, obj] of this.store.iterate(storageKey, ns, afterKey)) {
      if (predicate !== undefined && !predicate(obj)) continue;
      if (items.length >= limit) {
        more = true;
        break;
      }
      items.push(this.present(rt, obj));
      lastKey = key;
    }
    const metadata: KubeObject = { resourceVersion: String(revision) };
    if (more && lastKey !== undefined) {
      metadata['continue'] = encodeContinue(lastKey, revision);
      // Like the real server, the remaining count is only given when no selector would make counting expensive.
      if (predicate === undefined) metadata['remainingItemCount'] = this.store.countAfter(storageKey, ns, lastKey);
    }
    return { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata, items };
  }

  deleteCollection(
    rt: ResourceType,
    namespace: string | undefined,
    options: ListOptions,
    deleteOptions: DeleteOptions = {},
    opts: WriteOptions = {},
  ): KubeObject {
    const listed = this.list(rt, namespace, { ...options, limit: undefined, continueToken: undefined });
    const deleted: KubeObject[] = [];
    for (const item of listed['items'] as KubeObject[]) {
      try {
        const itemNamespace = String(item['metadata'].namespace ?? '');
        const itemName = String(item['metadata'].name);
        deleted.push(this.delete(rt, itemNamespace, itemName, deleteOptions, opts));
      } catch (e) {
        if (!(e instanceof ApiError) || e.code !== 'NOT_FOUND') throw e;
      }
    }
    return { ...listed, items: deleted, metadata: { resourceVersion: String(this.store.currentRevision) } };
  }
}
