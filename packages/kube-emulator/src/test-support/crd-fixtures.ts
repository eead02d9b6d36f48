/**
 * A CRD fixture for tests: `widgets.example.com`, namespaced, with a status subresource and printer columns (podid's
 * own CRDs, which have no status subresource, come from @podid/crd-types).
 */
import type { KubeObject } from '../resource-types.js';

// Declared fields rather than x-kubernetes-preserve-unknown-fields: client-node's typed serializer drops that
// extension key, and the emulator prunes undeclared fields as a real server does.
const specSchema = { type: 'object', properties: { size: { type: 'integer' }, color: { type: 'string' } } };
const statusSchema = { type: 'object', properties: { ready: { type: 'boolean' } } };
const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

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
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: specSchema, status: statusSchema } } },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }, age],
      },
    ],
  },
};
