/**
 * The resource types the emulator serves: the built-in ones podid needs, plus the ones CRDs declare at runtime.
 * Everything the server derives per type (discovery, URL routing, printer columns, patch rules) comes from here.
 */

import { builtinColumns } from './printer-columns.js';

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  /** Simple JSONPath such as `.spec.type` (CRD additionalPrinterColumns). */
  jsonPath?: string;
  /** For built-in columns computed in code (READY, STATUS, AGE...). */
  compute?: (obj: KubeObject, now: number) => unknown;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  hasStatusSubresource: boolean;
  /** Custom resources: strategic merge patch is refused (415) like the real server. */
  isCustom: boolean;
  /** Fields (besides metadata.name/namespace) usable in field selectors. */
  selectableFields: string[];
  printerColumns: PrinterColumn[];
  /** `metadata.generation` is maintained (CRs and CRDs; not most built-ins, as on the real server). */
  tracksGeneration: boolean;
  /** A CRD version's `schema.openAPIV3Schema`: custom resources are pruned and validated against it. */
  schema?: KubeObject;
  /** A review (SelfSubjectAccessReview...): create only, answered and never stored. */
  review?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are schemaless JSON here.
export type KubeObject = Record<string, any>;

export const VERBS_FULL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const VERBS_NAMESPACE = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
export const VERBS_STATUS = ['get', 'patch', 'update'];
export const VERBS_REVIEW = ['create'];

export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** Key used for maps of types: `group/version/plural` (group empty for core). */
export function typeKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

interface BuiltinSpec {
  group?: string;
  version?: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  status?: boolean;
  selectableFields?: string[];
  printerColumns: PrinterColumn[];
  review?: boolean;
}

function builtin(spec: BuiltinSpec): ResourceType {
  return {
    ...(spec.review === true ? { review: true } : {}),
    group: spec.group ?? '',
    version: spec.version ?? 'v1',
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    namespaced: spec.namespaced,
    hasStatusSubresource: spec.status ?? false,
    isCustom: false,
    selectableFields: spec.selectableFields ?? [],
    printerColumns: spec.printerColumns,
    tracksGeneration: false,
  };
}

export function builtinResourceTypes(): ResourceType[] {
  return [
    builtin({
      kind: 'Pod',
      plural: 'pods',
      shortNames: ['po'],
      categories: ['all'],
      namespaced: true,
      status: true,
      selectableFields: [
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
      ],
      printerColumns: builtinColumns.pods,
    }),
    builtin({
      kind: 'Node',
      plural: 'nodes',
      shortNames: ['no'],
      namespaced: false,
      status: true,
      selectableFields: ['spec.unschedulable'],
      printerColumns: builtinColumns.nodes,
    }),
    builtin({
      kind: 'Namespace',
      plural: 'namespaces',
      shortNames: ['ns'],
      namespaced: false,
      status: true,
      selectableFields: ['status.phase'],
      printerColumns: builtinColumns.namespaces,
    }),
    builtin({
      kind: 'Secret',
      plural: 'secrets',
      namespaced: true,
      selectableFields: ['type'],
      printerColumns: builtinColumns.secrets,
    }),
    builtin({
      kind: 'ConfigMap',
      plural: 'configmaps',
      shortNames: ['cm'],
      namespaced: true,
      printerColumns: builtinColumns.configmaps,
    }),
    builtin({
      kind: 'Event',
      plural: 'events',
      shortNames: ['ev'],
      namespaced: true,
      selectableFields: [
        'involvedObject.kind',
        'involvedObject.namespace',
        'involvedObject.name',
        'involvedObject.uid',
        'involvedObject.apiVersion',
        'involvedObject.resourceVersion',
        'involvedObject.fieldPath',
        'reason',
        'reportingComponent',
        'source',
        'type',
      ],
      printerColumns: builtinColumns.events,
    }),
    builtin({
      kind: 'ServiceAccount',
      plural: 'serviceaccounts',
      shortNames: ['sa'],
      namespaced: true,
      printerColumns: builtinColumns.serviceaccounts,
    }),
    builtin({
      group: 'coordination.k8s.io',
      kind: 'Lease',
      plural: 'leases',
      namespaced: true,
      printerColumns: builtinColumns.leases,
    }),
    // Stored only, with no controllers behind them: enough to apply and read back deployment manifests
    // (a Deployment never starts pods here).
    builtin({
      group: 'apps',
      kind: 'Deployment',
      plural: 'deployments',
      shortNames: ['deploy'],
      categories: ['all'],
      namespaced: true,
      status: true,
      printerColumns: builtinColumns.nameAndAge,
    }),
    builtin({
      group: 'apps',
      kind: 'DaemonSet',
      plural: 'daemonsets',
      shortNames: ['ds'],
      categories: ['all'],
      namespaced: true,
      status: true,
      printerColumns: builtinColumns.nameAndAge,
    }),
    // Stored only (no eviction API behind it): charts such as deploy/helm/podid render one.
    builtin({
      group: 'policy',
      kind: 'PodDisruptionBudget',
      plural: 'poddisruptionbudgets',
      shortNames: ['pdb'],
      namespaced: true,
      status: true,
      printerColumns: builtinColumns.nameAndAge,
    }),
    ...(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'] as const).map((kind) =>
      builtin({
        group: 'rbac.authorization.k8s.io',
        kind,
        plural: `${kind.toLowerCase()}s`,
        namespaced: !kind.startsWith('Cluster'),
        printerColumns: builtinColumns.nameAndAge,
      }),
    ),
    // Reviews: answered from the emulator's (absent) authorization, never stored.
    ...(
      [
        ['authorization.k8s.io', 'SelfSubjectAccessReview'],
        ['authorization.k8s.io', 'SelfSubjectRulesReview'],
        ['authentication.k8s.io', 'SelfSubjectReview'],
      ] as const
    ).map(([group, kind]) =>
      builtin({
        group,
        kind,
        plural: `${kind.toLowerCase()}s`,
        namespaced: false,
        printerColumns: builtinColumns.nameAndAge,
        review: true,
      }),
    ),
    builtin({
      group: 'events.k8s.io',
      kind: 'Event',
      plural: 'events',
      shortNames: ['ev'],
      namespaced: true,
      printerColumns: builtinColumns.eventsV1,
    }),
    {
      ...builtin({
        group: 'apiextensions.k8s.io',
        kind: 'CustomResourceDefinition',
        plural: 'customresourcedefinitions',
        shortNames: ['crd', 'crds'],
        categories: ['api-extensions'],
        namespaced: false,
        status: true,
        printerColumns: builtinColumns.customresourcedefinitions,
      }),
      tracksGeneration: true,
    },
  ];
}

/**
 * The served version of a CRD as a ResourceType, or undefined when the version is not served.
 * Throws nothing: CRD validation happens before this is called.
 */
export function resourceTypesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = crd['spec'] ?? {};
  const names = spec.names ?? {};
  const result: ResourceType[] = [];
  for (const v of spec.versions ?? []) {
    if (v.served === false) continue;
    const extra: PrinterColumn[] = (v.additionalPrinterColumns ?? []).map((c: KubeObject) => {
      const col: PrinterColumn = {
        name: String(c['name']),
        type: String(c['type'] ?? 'string'),
        jsonPath: String(c['jsonPath']),
      };
      if (c['format'] !== undefined) col.format = String(c['format']);
      if (c['description'] !== undefined) col.description = String(c['description']);
      if (c['priority'] !== undefined) col.priority = Number(c['priority']);
      return col;
    });
    const columns: PrinterColumn[] = [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        jsonPath: '.metadata.name',
      },
      ...extra,
    ];
    // Like the real server: Age is the default only when the CRD declares no columns of its own.
    if (extra.length === 0) columns.push({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
    const schema = v.schema?.openAPIV3Schema;
    result.push({
      ...(typeof schema === 'object' && schema !== null ? { schema } : {}),
      group: String(spec.group),
      version: String(v.name),
      kind: String(names.kind),
      listKind: String(names.listKind ?? `${names.kind}List`),
      plural: String(names.plural),
      singular: String(names.singular ?? String(names.kind).toLowerCase()),
      shortNames: (names.shortNames ?? []).map(String),
      categories: (names.categories ?? []).map(String),
      namespaced: spec.scope !== 'Cluster',
      hasStatusSubresource: v.subresources?.status !== undefined,
      isCustom: true,
      selectableFields: (v.selectableFields ?? []).map((f: KubeObject) => String(f['jsonPath']).replace(/^\./, '')),
      printerColumns: columns,
      tracksGeneration: true,
    });
  }
  return result;
}
