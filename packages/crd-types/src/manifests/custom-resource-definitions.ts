import { API_GROUP, API_VERSION, CRD_KINDS, type CrdKind, crdNames } from '../constants.js';
import { openApiSchemas } from './openapi-schemas.js';
import type { CustomResourceDefinition, PrinterColumn } from './types.js';

/** Printer columns of §1.1, exactly; the other two kinds have none. */
const printerColumns: Readonly<Partial<Record<CrdKind, readonly PrinterColumn[]>>> = {
  AzureIdentity: [
    { name: 'Type', type: 'integer', jsonPath: '.spec.type' },
    { name: 'ClientID', type: 'string', jsonPath: '.spec.clientID' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  AzureIdentityBinding: [
    { name: 'AzureIdentity', type: 'string', jsonPath: '.spec.azureIdentity' },
    { name: 'Selector', type: 'string', jsonPath: '.spec.selector' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

/**
 * Upstream declares an empty `subresources: {}` on these two and nothing on the others (§1.1). In particular
 * AzureAssignedIdentity has no status subresource: MIC writes `status` with ordinary updates.
 */
const kindsWithEmptySubresources: ReadonlySet<CrdKind> = new Set<CrdKind>(['AzureIdentity', 'AzureIdentityBinding']);

function customResourceDefinition(kind: CrdKind): CustomResourceDefinition {
  const names = crdNames[kind];
  const columns = printerColumns[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${API_GROUP}`,
      // Required by the API server for groups under *.k8s.io; same value as upstream.
      annotations: { 'api-approved.kubernetes.io': 'unapproved' },
    },
    spec: {
      group: API_GROUP,
      names: { kind: names.kind, listKind: names.listKind, plural: names.plural, singular: names.singular },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          ...(columns === undefined ? {} : { additionalPrinterColumns: columns }),
          ...(kindsWithEmptySubresources.has(kind) ? { subresources: {} } : {}),
          schema: { openAPIV3Schema: openApiSchemas[kind] },
        },
      ],
    },
  };
}

/** The four CRD manifests, in {@link CRD_KINDS} order; `deploy/crds/<plural>.yaml` is generated from these. */
export const customResourceDefinitions: readonly CustomResourceDefinition[] = CRD_KINDS.map(customResourceDefinition);

export function customResourceDefinitionFor(kind: CrdKind): CustomResourceDefinition {
  return customResourceDefinitions[CRD_KINDS.indexOf(kind)]!;
}
