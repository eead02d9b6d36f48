/**
 * CRD fixtures for tests: podid's four CRDs as the upstream manifests declare them (group aadpodidentity.k8s.io,
 * v1, namespaced, the printer columns of spec §1.1) and a `widgets.example.com` CRD with a status subresource.
 * Used until @podid/crd-types ships the real manifests (the kubectl tests prefer deploy/crds/*.yaml when present).
 */
import type { KubeObject } from '../resource-types.js';

const objectSchema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

function podidCrd(kind: string, plural: string, columns: KubeObject[]): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.aadpodidentity.k8s.io`, annotations: { 'api-approved.kubernetes.io': 'unapproved' } },
    spec: {
      group: 'aadpodidentity.k8s.io',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: objectSchema, status: objectSchema } } },
          ...(columns.length > 0 ? { additionalPrinterColumns: columns } : {}),
        },
      ],
    },
  };
}

const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const podidCrdFixtures: KubeObject[] = [
  podidCrd('AzureIdentity', 'azureidentities', [
    { name: 'Type', type: 'integer', jsonPath: '.spec.type' },
    { name: 'ClientID', type: 'string', jsonPath: '.spec.clientID' },
    age,
  ]),
  podidCrd('AzureIdentityBinding', 'azureidentitybindings', [
    { name: 'AzureIdentity', type: 'string', jsonPath: '.spec.azureIdentity' },
    { name: 'Selector', type: 'string', jsonPath: '.spec.selector' },
    age,
  ]),
  podidCrd('AzureAssignedIdentity', 'azureassignedidentities', []),
  podidCrd('AzurePodIdentityException', 'azurepodidentityexceptions', []),
];

export const widgetCrd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', shortNames: ['wd'] },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: objectSchema, status: objectSchema } } },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }, age],
      },
    ],
  },
};
