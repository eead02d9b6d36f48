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
import { ResilientInformer, type ResilientInformerOptions } from './resilient-informer.js';

/** Everything a typed informer needs besides what the factory fixes (path, kind, parser, indexes). */
export type InformerSettings = Omit<
  ResilientInformerOptions<never, never>,
  'path' | 'apiVersion' | 'kind' | 'parse' | 'indexes' | 'labelSelector' | 'fieldSelector'
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
}

export function createPodInformer(options: PodInformerOptions): ResilientInformer<Pod, PodIndex> {
  const { nodeName, requireBindingLabel, ...settings } = options;
  return new ResilientInformer<Pod, PodIndex>({
    ...(settings as InformerSettings),
    path: '/api/v1/pods',
    apiVersion: 'v1',
    kind: 'Pod',
    parse: parsePod,
    indexes: { byIP: podIPs, byNode: podNode },
    ...(nodeName ? { fieldSelector: `spec.nodeName=${nodeName}` } : {}),
    ...(requireBindingLabel ? { labelSelector: POD_LABEL_KEY } : {}),
  });
}

export function createNodeInformer(options: InformerSettings): ResilientInformer<Node> {
  return new ResilientInformer<Node>({
    ...(options as InformerSettings),
    path: '/api/v1/nodes',
    apiVersion: 'v1',
    kind: 'Node',
    parse: parseNode,
  });
}

export interface AssignedIdentityInformerOptions extends InformerSettings {
  /** NMI with `--enableScaleFeatures`: only this node's objects (label selector `nodename=<node>`). */
  nodeName?: string;
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
): ResilientInformer<T, I> {
  return new ResilientInformer<T, I>({
    ...(settings as InformerSettings),
    path: `/apis/${API_GROUP}/${API_VERSION}/${crdNames[kind].plural}`,
    apiVersion: GROUP_VERSION,
    kind,
    parse,
    indexes,
    ...(labelSelector ? { labelSelector } : {}),
  });
}
