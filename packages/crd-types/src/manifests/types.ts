/** The subset of apiextensions.k8s.io/v1 that podid's CRD manifests use. */

export interface OpenApiSchema {
  readonly type?: 'object' | 'string' | 'integer' | 'array' | 'boolean';
  readonly format?: 'int32' | 'int64';
  readonly description?: string;
  readonly nullable?: boolean;
  readonly enum?: readonly (string | number)[];
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly items?: OpenApiSchema;
  readonly additionalProperties?: OpenApiSchema;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly jsonPath: string;
}

export interface CustomResourceDefinitionVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly additionalPrinterColumns?: readonly PrinterColumn[];
  readonly subresources?: Readonly<Record<string, never>>;
  readonly schema: { readonly openAPIV3Schema: OpenApiSchema };
}

export interface CustomResourceDefinition {
  readonly apiVersion: 'apiextensions.k8s.io/v1';
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: {
    readonly name: string;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly group: string;
    readonly names: {
      readonly kind: string;
      readonly listKind: string;
      readonly plural: string;
      readonly singular: string;
    };
    readonly scope: 'Namespaced';
    readonly versions: readonly CustomResourceDefinitionVersion[];
  };
}
