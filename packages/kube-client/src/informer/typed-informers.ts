import {
  API_GROUP,
  API_VERSION,
  type AzureAssignedIdentity,
  type AzureIdentity,
  type AzureIdentityBinding,
  type AzurePodIdentityException,
  CrdKind,
  crdNames,
  GROUP_VERSION,
  NODENAME_LABEL_KEY,
  type Node,
  type ParseResult,
  POD_LABEL_KEY,
  type Pod,
  parseAzureAssignedIdentity,
  parseAzureIdentity,
  parseAzureIdentityBinding,
  parseAzurePodIdentityException,
  parseNode,
  parsePod,
} from '@podid/crd-types';
import type { IndexFunction } from './indexed-cache.js';
import { createValueSharing } from './shared-values.js';
import { ResilientInformer, type ResilientInformerOptions } from './resilient-informer.js';

/** Everything a typed informer needs besides what the factory fixes (path, kind, parser, indexes). */
export type InformerSettings = Omit<
  ResilientInformerOptions<never, never>,
  'path' | 'apiVersion' | 'kind' | 'parse' | 'transform' | 'indexes' | 'labelSelector' | 'fieldSelector'
>;

export type PodIndex = 'byIP' | 'byNode';
export type AssignedIdentityIndex = 'byPod' | 'byNode';
export type NamespaceIndex = 'byNamespace';

/** Index key of the pod an AzureAssignedIdentity was made for: `<podNamespace>/<pod>`. */
export const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** Every IP of a pod: `status.podIP` and each `status.podIPs[].ip` (dual-stack). */
export const podIPs: IndexFunction<Pod> = (pod) => {
  const ips = new Set<string>();
  if (pod.status?.podIP) ips.add(pod.status.podIP);
  for (const entry of pod.status?.podIPs ?? []) if (entry.ip) ips.add(entry.ip);
  return [...ips];
};

const podNode: IndexFunction<Pod> = (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []);
const byNamespace = <T extends { metadata: { namespace: string } }>(object: T): string[] => [object.metadata.namespace];

export interface PodInformerOptions extends InformerSettings {
  /** NMI: only pods scheduled to this node (field selector `spec.nodeName=<node>`). */
  nodeName?: string;
  /** MIC: only pods carrying the `aadpodidbinding` label (label selector "key exists"). */
  requireBindingLabel?: boolean;
  /** MIC: cache only the fields matching reads (`podFieldsForMatching`), not whole pods. */
  matchingFieldsOnly?: boolean;
}

/**
 * The part of a pod MIC's matching and its change filter read: identity (namespace, name, uid, resourceVersion),
 * labels, deletionTimestamp, `spec.nodeName` and `status.phase`. Containers, volumes, conditions, annotations and
 * managedFields are most of a pod's size and are dropped. Fields left out are absent, never empty, so a missing
 * value still reads as missing.
 */
export function podFieldsForMatching(pod: Pod): Pod {
  const { name, namespace, uid, resourceVersion, labels, deletionTimestamp } = pod.metadata;
  const metadata: Record<string, unknown> = { name, namespace };
  if (uid !== undefined) metadata['uid'] = uid;
  if (resourceVersion !== undefined) metadata['resourceVersion'] = resourceVersion;
  if (labels !== undefined) metadata['labels'] = labels;
  if (deletionTimestamp !== undefined) metadata['deletionTimestamp'] = deletionTimestamp;
  const slim: Record<string, unknown> = { metadata };
  if (pod.apiVersion !== undefined) slim['apiVersion'] = pod.apiVersion;
  if (pod.kind !== undefined) slim['kind'] = pod.kind;
  if (pod.spec !== undefined) {
    // The node (assignment target) and the service account (the federated credential's subject, type 3).
    const spec: Record<string, unknown> = {};
    if (pod.spec.nodeName !== undefined) spec['nodeName'] = pod.spec.nodeName;
    const serviceAccountName = (pod.spec as { serviceAccountName?: unknown }).serviceAccountName;
    if (serviceAccountName !== undefined) spec['serviceAccountName'] = serviceAccountName;
    slim['spec'] = spec;
  }
  if (pod.status?.phase !== undefined) slim['status'] = { phase: pod.status.phase };
  else if (pod.status !== undefined) slim['status'] = {};
  return slim as Pod;
}

/**
 * {@link podFieldsForMatching}, with the values that repeat across pods (namespace, labels, node, service account,
 * status) as one instance each ({@link createValueSharing}): replicas of a Deployment carry the same labels.
 */
export function createPodMatchingTransform(): (pod: Pod) => Pod {
  const values = createValueSharing();
  return (pod) => {
    const slim = podFieldsForMatching(pod);
    const metadata = slim.metadata as unknown as LooseMetadata;
    if (metadata.namespace !== undefined) metadata.namespace = values.string(metadata.namespace);
    if (metadata['labels'] !== undefined) metadata['labels'] = values.json(metadata['labels']);
    const spec = slim.spec as Record<string, unknown> | undefined;
    if (spec !== undefined) {
      for (const field of ['nodeName', 'serviceAccountName'] as const) {
        if (typeof spec[field] === 'string') spec[field] = values.string(spec[field]);
      }
    }
    if (slim.status !== undefined) slim.status = values.json(slim.status);
    return slim;
  };
}

export function createPodInformer(options: PodInformerOptions): ResilientInformer<Pod, PodIndex> {
  const { nodeName, requireBindingLabel, matchingFieldsOnly, ...settings } = options;
  return new ResilientInformer<Pod, PodIndex>({
    ...(settings as InformerSettings),
    path: '/api/v1/pods',
    apiVersion: 'v1',
    kind: 'Pod',
    parse: parsePod,
    indexes: { byIP: podIPs, byNode: podNode },
    ...(nodeName ? { fieldSelector: `spec.nodeName=${nodeName}` } : {}),
    ...(requireBindingLabel ? { labelSelector: POD_LABEL_KEY } : {}),
    ...(matchingFieldsOnly ? { transform: createPodMatchingTransform() } : {}),
  });
}

export interface NodeInformerOptions extends InformerSettings {
  /** MIC: cache only what mapping a node to its VM/VMSS reads (`nodeFieldsForMapping`), not whole nodes. */
  mappingFieldsOnly?: boolean;
}

/**
 * The part of a Node MIC reads: identity (name, uid, resourceVersion), labels and `spec.providerID`. A real node's
 * status (images, conditions, addresses, capacity) is several KiB and is dropped.
 */
export function nodeFieldsForMapping(node: Node): Node {
  const { name, uid, resourceVersion, labels } = node.metadata;
  const metadata: Record<string, unknown> = { name };
  if (uid !== undefined) metadata['uid'] = uid;
  if (resourceVersion !== undefined) metadata['resourceVersion'] = resourceVersion;
  if (labels !== undefined) metadata['labels'] = labels;
  const slim: Record<string, unknown> = { metadata };
  if (node.apiVersion !== undefined) slim['apiVersion'] = node.apiVersion;
  if (node.kind !== undefined) slim['kind'] = node.kind;
  if (node.spec?.providerID !== undefined) slim['spec'] = { providerID: node.spec.providerID };
  else if (node.spec !== undefined) slim['spec'] = {};
  return slim as Node;
}

export function createNodeInformer(options: NodeInformerOptions): ResilientInformer<Node> {
  const { mappingFieldsOnly, ...settings } = options;
  return new ResilientInformer<Node>({
    ...(settings as InformerSettings),
    path: '/api/v1/nodes',
    apiVersion: 'v1',
    kind: 'Node',
    parse: parseNode,
    ...(mappingFieldsOnly ? { transform: nodeFieldsForMapping } : {}),
  });
}

export interface AssignedIdentityInformerOptions extends InformerSettings {
  /** NMI with `--enableScaleFeatures`: only this node's objects (label selector `nodename=<node>`). */
  nodeName?: string;
}

/** Distinct embedded identities/bindings remembered at once; past that the memo starts over (values stay right). */
const MAX_SHARED_REFS = 10_000;

/**
 * The object without `metadata.managedFields` (client-go's `TransformStripManagedFields`). Server-side apply's
 * field ownership is a tree of nested objects per object: on an AzureAssignedIdentity it is about 2.5 KiB of heap,
 * three quarters of what the cached object costs once its embedded refs are shared. Neither MIC nor NMI reads it,
 * and leaving it out of a PUT is safe: the API server keeps the stored managedFields when a request omits them
 * (it replaces them only when the request sets them).
 */
export function withoutManagedFields<T extends { metadata: object }>(object: T): T {
  if (!('managedFields' in object.metadata)) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata as { managedFields?: unknown };
  return { ...object, metadata };
}

/**
 * Every AzureAssignedIdentity embeds a full copy of its AzureIdentity and AzureIdentityBinding, so 100,000 of them
 * made from 200 identities hold 200,000 copies of 400 objects. This returns, for each embedded object, one shared
 * instance per distinct content (compared as JSON), so the cache holds each copy once. The values are unchanged;
 * cached objects are never mutated, so sharing them is safe.
 */
export function createEmbeddedRefSharing(): (assigned: AzureAssignedIdentity) => AzureAssignedIdentity {
  const shared = new Map<string, unknown>();
  const share = <V>(value: V): V => {
    if (value === undefined || value === null) return value;
    const key = JSON.stringify(value);
    const known = shared.get(key);
    if (known !== undefined) return known as V;
    if (shared.size >= MAX_SHARED_REFS) shared.clear();
    shared.set(key, value);
    return value;
  };
  return (assigned) => {
    const { spec } = assigned;
    if (spec.azureIdentityRef === undefined && spec.azureBindingRef === undefined) return assigned;
    const sharedSpec = { ...spec };
    if (spec.azureIdentityRef !== undefined) sharedSpec.azureIdentityRef = share(spec.azureIdentityRef);
    if (spec.azureBindingRef !== undefined) sharedSpec.azureBindingRef = share(spec.azureBindingRef);
    return { ...assigned, spec: sharedSpec };
  };
}

/** Loosely typed view of metadata for the transforms below, which copy every field they do not drop. */
type LooseMetadata = Record<string, unknown> & { namespace?: string; managedFields?: unknown };

/**
 * What the AzureAssignedIdentity informers cache: the object without its managedFields
 * ({@link withoutManagedFields}), its embedded identity and binding shared ({@link createEmbeddedRefSharing}), and
 * the values that repeat across objects (namespace, labels, finalizers, creationTimestamp, pod namespace, node name,
 * status) as one instance each ({@link createValueSharing}). Everything else (annotations, owner references, uid,
 * resourceVersion) stays, because MIC's update PUTs the cached object back (§2.12) and must not drop them.
 */
export function createAssignedIdentityTransform(): (assigned: AzureAssignedIdentity) => AzureAssignedIdentity {
  const shareRefs = createEmbeddedRefSharing();
  const values = createValueSharing();
  return (original) => {
    const assigned = shareRefs(original);
    const { managedFields: _dropped, ...metadata } = assigned.metadata as unknown as LooseMetadata;
    if (metadata.namespace !== undefined) metadata.namespace = values.string(metadata.namespace);
    for (const field of ['labels', 'finalizers', 'creationTimestamp'] as const) {
      if (metadata[field] !== undefined) metadata[field] = values.json(metadata[field]);
    }
    const spec = assigned === original ? { ...assigned.spec } : assigned.spec; // shareRefs copied it already
    if (spec.podNamespace !== undefined) spec.podNamespace = values.string(spec.podNamespace);
    if (spec.nodename !== undefined) spec.nodename = values.string(spec.nodename);
    const slim = { ...assigned, metadata, spec } as AzureAssignedIdentity;
    if (assigned.status !== undefined) slim.status = values.json(assigned.status);
    return slim;
  };
}

export function createAssignedIdentityInformer(
  options: AssignedIdentityInformerOptions,
): ResilientInformer<AzureAssignedIdentity, AssignedIdentityIndex> {
  const { nodeName, ...settings } = options;
  return crdInformer<AzureAssignedIdentity, AssignedIdentityIndex>(
    settings,
    CrdKind.AzureAssignedIdentity,
    parseAzureAssignedIdentity,
    {
      byPod: (assigned) =>
        assigned.spec.pod && assigned.spec.podNamespace ? [podKey(assigned.spec.podNamespace, assigned.spec.pod)] : [],
      byNode: (assigned) => (assigned.spec.nodename ? [assigned.spec.nodename] : []),
    },
    nodeName ? `${NODENAME_LABEL_KEY}=${nodeName}` : undefined,
    createAssignedIdentityTransform(),
  );
}

export function createIdentityInformer(options: InformerSettings): ResilientInformer<AzureIdentity, NamespaceIndex> {
  return crdInformer(options, CrdKind.AzureIdentity, parseAzureIdentity, { byNamespace });
}

export function createBindingInformer(
  options: InformerSettings,
): ResilientInformer<AzureIdentityBinding, NamespaceIndex> {
  return crdInformer(options, CrdKind.AzureIdentityBinding, parseAzureIdentityBinding, { byNamespace });
}

export function createExceptionInformer(
  options: InformerSettings,
): ResilientInformer<AzurePodIdentityException, NamespaceIndex> {
  return crdInformer(options, CrdKind.AzurePodIdentityException, parseAzurePodIdentityException, { byNamespace });
}

function crdInformer<T, I extends string>(
  settings: InformerSettings,
  kind: CrdKind,
  parse: (raw: unknown) => ParseResult<T>,
  indexes: Record<I, IndexFunction<T>>,
  labelSelector?: string,
  transform?: (value: T) => T,
): ResilientInformer<T, I> {
  return new ResilientInformer<T, I>({
    ...(settings as InformerSettings),
    path: `/apis/${API_GROUP}/${API_VERSION}/${crdNames[kind].plural}`,
    apiVersion: GROUP_VERSION,
    kind,
    parse,
    indexes,
    ...(labelSelector ? { labelSelector } : {}),
    ...(transform ? { transform } : {}),
  });
}
