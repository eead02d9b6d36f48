import { z } from 'zod';
import { requireFederatedIdentityFields } from './federated-identity-fields.js';
import { listMetaSchema, objectMetaSchema, unusedObjectMetaSchema } from './object-meta.js';

/** Core `SecretReference`: where a service principal's credentials live (§1.2). */
export const secretReferenceSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
});

/**
 * `AzureIdentity.spec` (§1.2). `type` is absent on objects written by upstream for type 0 (Go `omitempty`), so
 * read it with `identityTypeOf`. Any integer is accepted, as by the API server; consumers decide what is supported.
 * A federated identity (type 3, podid's extension) must name `clientID` and `tenantID`.
 */
export const azureIdentitySpecSchema = z
  .looseObject({
    metadata: unusedObjectMetaSchema.optional(),
    type: z.int().optional(),
    resourceID: z.string().optional(),
    clientID: z.string().optional(),
    clientPassword: secretReferenceSchema.optional(),
    tenantID: z.string().optional(),
    auxiliaryTenantIDs: z.array(z.string()).nullable().optional(),
    adResourceID: z.string().optional(),
    adEndpoint: z.string().optional(),
    replicas: z.int().nullable().optional(),
  })
  .superRefine(requireFederatedIdentityFields);

export const azureIdentityStatusSchema = z.looseObject({
  metadata: unusedObjectMetaSchema.optional(),
  availableReplicas: z.int().optional(),
});

export const azureIdentitySchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('AzureIdentity').optional(),
  metadata: objectMetaSchema,
  // Absent spec behaves like an empty one (Go zero value); defaulting keeps consumers free of `spec?.`.
  spec: azureIdentitySpecSchema.default({}),
  status: azureIdentityStatusSchema.optional(),
});

export const azureIdentityListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('AzureIdentityList').optional(),
  metadata: listMetaSchema.optional(),
  items: z.array(azureIdentitySchema),
});

export type SecretReference = z.infer<typeof secretReferenceSchema>;
export type AzureIdentitySpec = z.infer<typeof azureIdentitySpecSchema>;
export type AzureIdentityStatus = z.infer<typeof azureIdentityStatusSchema>;
export type AzureIdentity = z.infer<typeof azureIdentitySchema>;
export type AzureIdentityList = z.infer<typeof azureIdentityListSchema>;
