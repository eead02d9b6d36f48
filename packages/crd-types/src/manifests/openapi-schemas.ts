import type { CrdKind } from '../constants.js';
import type { OpenApiSchema } from './types.js';

/*
 * Structural OpenAPI v3 schemas of the four kinds, field for field the same as the zod schemas in ../schemas
 * (a test walks both). Descriptions are podid's own words.
 */

const string = (description?: string): OpenApiSchema =>
  description === undefined ? { type: 'string' } : { type: 'string', description };
const int32 = (description: string, nullable = false): OpenApiSchema =>
  nullable
    ? { type: 'integer', format: 'int32', nullable: true, description }
    : { type: 'integer', format: 'int32', description };
const object = (properties: Record<string, OpenApiSchema>, description?: string): OpenApiSchema =>
  description === undefined ? { type: 'object', properties } : { type: 'object', description, properties };

/** ObjectMeta is validated by the API server itself; the schema only says "object". */
const objectMeta: OpenApiSchema = { type: 'object' };
/** The unused `metadata` inside spec and status (§1.1), kept so that objects written by upstream still validate. */
const unusedMeta: OpenApiSchema = {
  type: 'object',
  description: 'Unused; kept for compatibility with aad-pod-identity.',
};

function resource(kind: string, description: string, spec: OpenApiSchema, status: OpenApiSchema): OpenApiSchema {
  return {
    type: 'object',
    description,
    properties: {
      apiVersion: string('Versioned schema of this object, aadpodidentity.k8s.io/v1.'),
      kind: string(`Always ${kind}.`),
      metadata: objectMeta,
      spec,
      status,
    },
  };
}

const azureIdentity = resource(
  'AzureIdentity',
  'An Azure identity (user-assigned managed identity or service principal) that pods may use.',
  object({
    metadata: unusedMeta,
    type: {
      type: 'integer',
      enum: [0, 1, 2, 3],
      description:
        '0 = user-assigned managed identity, 1 = service principal with secret, 2 = service principal with certificate, 3 = federated identity (podid: the pod service-account token is exchanged at AAD; no VM assignment).',
    },
    resourceID: string(
      'ARM resource ID of the user-assigned identity (type 0; optional for type 3, where MIC may manage its federated credentials).',
    ),
    clientID: string('Client (application) ID of the identity.'),
    clientPassword: object(
      { name: string('Secret name.'), namespace: string('Secret namespace.') },
      'Secret holding the service principal credentials (types 1 and 2).',
    ),
    tenantID: string('Tenant of the service principal or federated identity (types 1, 2 and 3).'),
    auxiliaryTenantIDs: {
      type: 'array',
      nullable: true,
      description: 'Additional tenants for a multi-tenant token (type 1).',
      items: { type: 'string' },
    },
    adResourceID: string('Unused.'),
    adEndpoint: string('AAD authority for service principals; default https://login.microsoftonline.com/.'),
    replicas: int32('Unused.', true),
  }),
  object({ metadata: unusedMeta, availableReplicas: int32('Unused.') }),
);

const azureIdentityBinding = resource(
  'AzureIdentityBinding',
  'Binds pods whose aadpodidbinding label equals the selector to an AzureIdentity in the same namespace.',
  object({
    metadata: unusedMeta,
    azureIdentity: string('Name of an AzureIdentity in the namespace of this binding.'),
    selector: string('Exact, case-sensitive value of the aadpodidbinding pod label.'),
    weight: { type: 'integer', description: 'Unused.' },
  }),
  object({ metadata: unusedMeta, availableReplicas: int32('Unused.') }),
);

/**
 * The refs are whole copies of other objects. They are embedded resources and keep unknown fields, so that copies
 * written by older versions (with legacy field casing, §1.7) survive until the type upgrade rewrites them.
 */
function embedded(of: OpenApiSchema, description: string): OpenApiSchema {
  return {
    ...of,
    description,
    'x-kubernetes-embedded-resource': true,
    'x-kubernetes-preserve-unknown-fields': true,
  };
}

const azureAssignedIdentity = resource(
  'AzureAssignedIdentity',
  'Created by MIC: one identity assigned to one pod. Not meant to be edited.',
  object({
    metadata: unusedMeta,
    azureIdentityRef: embedded(azureIdentity, 'Copy of the AzureIdentity this assignment is for.'),
    azureBindingRef: embedded(azureIdentityBinding, 'Copy of the AzureIdentityBinding that matched the pod.'),
    pod: string('Pod name.'),
    podNamespace: string('Pod namespace.'),
    nodename: string('Node the pod runs on.'),
    replicas: int32('Unused.', true),
  }),
  object({
    metadata: unusedMeta,
    availableReplicas: int32('Set to 1 at creation.'),
    status: string('Created, Assigned or Unassigned.'),
  }),
);

const azurePodIdentityException = resource(
  'AzurePodIdentityException',
  'Pods in this namespace carrying any of these labels get tokens without identity checks.',
  object({
    metadata: unusedMeta,
    podLabels: {
      type: 'object',
      description: 'Label key (exact) and value (case-insensitive) that exempt a pod.',
      additionalProperties: { type: 'string' },
    },
  }),
  object({ metadata: unusedMeta, status: string('Unused.') }),
);

export const openApiSchemas: Readonly<Record<CrdKind, OpenApiSchema>> = {
  AzureIdentity: azureIdentity,
  AzureIdentityBinding: azureIdentityBinding,
  AzureAssignedIdentity: azureAssignedIdentity,
  AzurePodIdentityException: azurePodIdentityException,
};
