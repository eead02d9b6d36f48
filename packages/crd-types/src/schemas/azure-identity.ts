import { z } from 'zod';
import { requireFederatedIdentityFields } from './federated-identity-fields.js';
import { listMetaSchema, objectMetaSchema, unusedObjectMetaSchema } from './object-meta.js';

/** Core `SecretReference`: where a service principal's credentials live (§1.2). */
export const secretReferenceSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
});

/**
 * `AzureIdentity.spec` (§1.2) as embedded in an AzureAssignedIdentity's `azureIdentityRef`: any integer `type` is
 * read, so an assignment written before unknown types were refused can still be seen and cleaned up. `type` is
 * absent on objects written by upstream for type 0 (Go `omitempty`), so read it with `identityTypeOf`.
 */
export const azureIdentityRefSpecSchema = z.looseObject({
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
});

/**
 * The `spec.type` values podid supports (0, 1, 2, and 3: podid's federated identity); anything else is refused, as
 * the CRD's enum does.
 */
export const KNOWN_IDENTITY_TYPES: readonly number[] = Object.freeze([0, 1, 2, 3]);

/**
 * `AzureIdentity.spec` (§1.2) of an AzureIdentity object. Unlike upstream, an unknown `type` (7, say) is invalid:
 * upstream wrote it Assigned and NMI then failed every token request for it. A federated identity (type 3) must
 * name `clientID` and `tenantID`.
 */
export const azureIdentitySpecSchema = azureIdentityRefSpecSchema
  .extend({
    type: z
      .int()
      .refine((type) => KNOWN_IDENTITY_TYPES.includes(type), {
        message:
          'unknown identity type: must be 0 (user-assigned MSI), 1 (service principal), 2 (certificate) or 3 (federated)',
      })
      .optional(),
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

/** An AzureIdentity as copied into `AzureAssignedIdentity.spec.azureIdentityRef` (any integer `type`). */
export const azureIdentityRefSchema = azureIdentitySchema.extend({ spec: azureIdentityRefSpecSchema.default({}) });

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
