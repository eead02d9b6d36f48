/**
 * A CRD fixture for tests: `widgets.example.com`, namespaced, with a status subresource and printer columns (podid's
 * own CRDs, which have no status subresource, come from @podid/crd-types).
 */
import type { KubeObject } from '../resource-types.js';

const objectSchema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
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
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: objectSchema, status: objectSchema } } },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }, age],
      },
    ],
  },
};
